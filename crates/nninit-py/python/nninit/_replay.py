"""A module's own initialization code, run on nninit's streams.

For a module class no scheme knows (a user's own module) and for a Hugging
Face model (whose ``_init_weights`` is its family's scheme), nninit runs the
module's own code (``reset_parameters`` / ``_reset_parameters``, or
transformers' ``_init_weights`` over every module) with torch's random fills
intercepted: a ``TorchFunctionMode`` sees ``Tensor.normal_`` and
``Tensor.uniform_`` (what ``torch.nn.init``'s normal, uniform, xavier and
kaiming functions end in, and what ``weight.data.normal_(...)`` is), and the
composite ``trunc_normal_``, ``orthogonal_`` and ``sparse_`` are patched for
the run. Each random fill of a parameter (or of a view of one) becomes the
equivalent nninit ``Init`` on the parameter's own stream (its qualified
name), so the distribution is the author's and the values are nninit's
(seed, name, index) values. Deterministic writes (``zero_``, ``fill_``,
``copy_`` of computed values) run as written. A random operation with no
nninit counterpart (``randperm``, ``bernoulli_``, ...) is an error naming the
module class, the operation and the parameter.

The code runs twice: a dry run that records what each parameter would get
and writes nothing (every in-place write to a parameter is skipped), so that
an error leaves the module untouched and the plan can be shown; then the
real run. The translation of a torch call into an ``Init`` is the Rust
library's (``Init``'s constructors validate it); this file only finds which
parameter a tensor is and the module whose code to run.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _nninit
from ._nninit import Init, NninitError

# tensor methods that draw from torch's generator and have no nninit counterpart
_UNSUPPORTED_METHODS = {"bernoulli_", "exponential_", "geometric_", "cauchy_", "log_normal_", "random_"}
# the torch.nn.init functions, each the nninit initializer of the same name
_INIT_FUNCTIONS = {"uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                   "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"}
_UNSUPPORTED_FUNCTIONS = {"randperm", "rand", "randn", "randint", "bernoulli", "multinomial", "normal", "rand_like",
                          "randn_like", "randint_like", "poisson"}


def _torch():
    return sys.modules["torch"]


class _Index:
    """Which parameter (qualified name, the parameter) a tensor or view aliases."""

    def __init__(self, params: Dict[str, Any]):
        self.by_storage: Dict[int, Tuple[str, Any]] = {}
        for name, p in params.items():
            key = p.untyped_storage().data_ptr()
            self.by_storage.setdefault(key, (name, p))

    def lookup(self, t: Any) -> Optional[Tuple[str, Any]]:
        torch = _torch()
        if not isinstance(t, torch.Tensor) or t.is_meta:
            return None
        try:
            key = t.untyped_storage().data_ptr()
        except (RuntimeError, NotImplementedError):
            return None
        return self.by_storage.get(key)


def _is_whole(t: Any, p: Any) -> bool:
    return tuple(t.shape) == tuple(p.shape) and t.stride() == p.stride() and t.storage_offset() == p.storage_offset()


def _write(t: Any, p: Any, name: str, init: Init, seed: int) -> None:
    """Fill the view ``t`` of parameter ``p`` with ``init``'s values of the
    whole parameter at the view's elements."""
    from . import _fill_any

    torch = _torch()
    if _is_whole(t, p):
        _fill_any(p, init, seed, name)
        return
    # a view (a row, a slice): the whole tensor's values at its elements
    whole = torch.empty(tuple(p.shape), dtype=p.dtype)
    _fill_any(whole, init, seed, name)
    flat = torch.as_strided(whole, tuple(t.shape), t.stride(), t.storage_offset() - p.storage_offset()) \
        if p.is_contiguous() else None
    if flat is None:
        raise NninitError(f"`{name}`: a random fill of a view of a non-contiguous parameter cannot be replayed; give it a rule")
    with torch.no_grad():
        t.copy_(flat)


def _arg(args: tuple, kwargs: dict, i: int, key: str, default: float) -> float:
    if len(args) > i:
        return float(args[i])
    return float(kwargs.get(key, default))


class Replay:
    """Run modules' own initialization code with random fills on nninit's streams."""

    def __init__(self, params: Dict[str, Any], seed: int, skip: Optional[set] = None,
                 tied_owner: Optional[Dict[str, int]] = None):
        self.index = _Index(params)
        # a tied parameter (an LM head sharing its embedding's weight) is
        # initialized once, by the module that owns it first: fills from the
        # other modules sharing it are left out
        self.tied_owner = tied_owner or {}
        self.module: Any = None
        self.seed = seed
        self.skip = skip or set()  # parameters a rule decides: the code leaves them alone
        self.dry = True
        self.where = "?"
        # name -> (Init of the last whole-tensor fill, where, zero_row)
        self.recorded: Dict[str, Tuple[Optional[Init], str, Optional[int]]] = {}
        # parameters whose values the record does not describe whole (a
        # random fill of a slice, a deterministic write other than a zeroed
        # row or a whole-tensor constant): their values must be taken from
        # the module after the real run, not regenerated from the plan
        self.inexact: set = set()
        # storages of the buffers the code wrote (in place, or through a
        # torch.nn.init function): what it recomputes
        self.buffers_written: set = set()

    # -- what a fill becomes --------------------------------------------
    def _fill(self, t: Any, init_of: Callable[[], Init]) -> bool:
        """Handle a random fill of ``t``; False when ``t`` is no parameter."""
        hit = self.index.lookup(t)
        if hit is None:
            return False
        name, p = hit
        init = init_of()
        if name in self.skip or self._not_owner(name):
            return True
        if _is_whole(t, p):
            # a later fill of the whole tensor overwrites an earlier zeroed
            # row (a tied LM head refilled after its embedding)
            self.recorded[name] = (init, self.where, None)
        else:
            self.inexact.add(name)
            if name not in self.recorded:
                self.recorded[name] = (None, self.where, None)
        if not self.dry:
            _write(t, p, name, init, self.seed)
        return True

    def _note_deterministic(self, func_name: str, t: Any, args: tuple) -> bool:
        """A deterministic in-place write: recorded (zeros/ones/constant of the
        whole tensor, a zeroed row), skipped in the dry run, run as written
        otherwise. False when ``t`` is no parameter."""
        hit = self.index.lookup(t)
        if hit is None:
            return False
        name, p = hit
        if name in self.skip or self._not_owner(name):
            return True
        init = None
        if func_name == "zero_":
            init = Init.zeros()
        elif func_name == "fill_" and len(args) > 1:
            v = float(args[1])
            init = Init.ones() if v == 1.0 else Init.zeros() if v == 0.0 else Init.constant(v)
        prev = self.recorded.get(name, (None, self.where, None))
        if _is_whole(t, p):
            if init is not None:
                self.recorded[name] = (init, self.where, None)
            else:
                self.inexact.add(name)
                if prev[0] is None:
                    self.recorded[name] = (None, self.where, None)
        elif init is not None and init == Init.zeros() and p.dim() == 2 and tuple(t.shape) == (p.shape[1],) \
                and p.is_contiguous() and t.stride() == (1,):
            row = (t.storage_offset() - p.storage_offset()) // p.shape[1]
            self.recorded[name] = (prev[0], prev[1], row)
        else:
            self.inexact.add(name)
        return True

    def _not_owner(self, name: str) -> bool:
        owner = self.tied_owner.get(name)
        return owner is not None and self.module is not None and id(self.module) != owner

    # -- the run ---------------------------------------------------------
    def run(self, calls: List[Tuple[str, Callable[[], Any], Any]], dry: bool) -> None:
        """Run each ``(where, call)`` under interception (``where`` names the
        code: ``LSTMish.reset_parameters``)."""
        torch = _torch()
        self.dry = dry
        replay = self

        class Mode(torch.overrides.TorchFunctionMode):  # type: ignore[name-defined]
            def __torch_function__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                name = getattr(func, "__name__", "")
                target = args[0] if args else kwargs.get("tensor")
                if getattr(func, "__module__", "") == "torch.nn.init" and name in _INIT_FUNCTIONS:
                    if replay._init_function(func, name, args, kwargs):
                        return target
                elif name == "normal_":
                    mean, std = _arg(args, kwargs, 1, "mean", 0.0), _arg(args, kwargs, 2, "std", 1.0)
                    if replay._fill(target, lambda: Init.normal(mean, std)):
                        return target
                elif name == "uniform_":
                    a, b = _arg(args, kwargs, 1, "from", 0.0), _arg(args, kwargs, 2, "to", 1.0)
                    if replay._fill(target, lambda: Init.uniform(a, b)):
                        return target
                elif name in _UNSUPPORTED_METHODS:
                    hit = replay.index.lookup(target)
                    if hit is not None:
                        raise NninitError(
                            f"{replay.where} calls `{name}` on parameter `{hit[0]}`: a random operation nninit has no "
                            f"counterpart for; give `{hit[0]}` a rule, e.g. rules=[(\"{hit[0]}\", \"normal(std=0.02)\")]"
                        )
                elif name in _UNSUPPORTED_FUNCTIONS and getattr(func, "__module__", None) in (None, "torch"):
                    raise NninitError(
                        f"{replay.where} calls `torch.{name}`: a random operation nninit has no counterpart for "
                        "(its values would come from torch's global generator); give the parameters it sets rules"
                    )
                elif (name.endswith("_") and not name.startswith("_")) or name == "__setitem__":
                    if replay._note_deterministic(name, target, args) and replay.dry:
                        return target
                if isinstance(target, torch.Tensor) and not target.is_meta and (
                        (name.endswith("_") and not name.startswith("_")) or name == "__setitem__"
                        or getattr(func, "__module__", "") == "torch.nn.init"):
                    try:
                        replay.buffers_written.add(target.untyped_storage().data_ptr())
                    except (RuntimeError, NotImplementedError):
                        pass
                return func(*args, **kwargs)

        with torch.no_grad(), Mode():
            for where, call, module in calls:
                self.where, self.module = where, module
                call()

    def _init_function(self, func: Any, name: str, args: tuple, kwargs: dict) -> bool:
        """A ``torch.nn.init`` function on a parameter (or a view of one): its
        nninit ``Init`` (the same formula, fans and gain, on nninit's
        stream). False when the tensor is no parameter (it then runs as
        written)."""
        import inspect

        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        a = dict(bound.arguments)
        t = a.pop("tensor")
        a.pop("generator", None)

        def make() -> Init:
            if name == "uniform_":
                return Init.uniform(float(a["a"]), float(a["b"]))
            if name == "normal_":
                return Init.normal(float(a["mean"]), float(a["std"]))
            if name == "trunc_normal_":
                return Init.trunc_normal(float(a["mean"]), float(a["std"]), float(a["a"]), float(a["b"]))
            if name == "constant_":
                v = float(a["val"])
                return Init.ones() if v == 1.0 else Init.zeros() if v == 0.0 else Init.constant(v)
            if name == "ones_":
                return Init.ones()
            if name == "zeros_":
                return Init.zeros()
            if name == "eye_":
                return Init.eye()
            if name == "dirac_":
                return Init.dirac(int(a["groups"]))
            if name == "xavier_uniform_":
                return Init.xavier_uniform(float(a["gain"]))
            if name == "xavier_normal_":
                return Init.xavier_normal(float(a["gain"]))
            if name == "kaiming_uniform_":
                return Init.kaiming_uniform(float(a["a"]), str(a["mode"]), nonlinearity=str(a["nonlinearity"]))
            if name == "kaiming_normal_":
                return Init.kaiming_normal(float(a["a"]), str(a["mode"]), nonlinearity=str(a["nonlinearity"]))
            if name == "orthogonal_":
                return Init.orthogonal(float(a["gain"]))
            return Init.sparse(float(a["sparsity"]), float(a["std"]))

        if name in ("zeros_", "ones_", "constant_") and self.index.lookup(t) is not None:
            init = make()
            hit = self.index.lookup(t)
            assert hit is not None
            if not _is_whole(t, hit[1]) and init == Init.zeros():
                # a zeroed row (padding_idx): recorded as such, run as written
                self._note_deterministic("zero_", t, (t,))
                if not self.dry and hit[0] not in self.skip:
                    with _torch().no_grad():
                        t.zero_()
                return True
        return self._fill(t, make)


def own_init_calls(module: Any, modules: List[Tuple[str, Any]]) -> List[Tuple[str, Callable[[], Any], Any]]:
    """The initialization code of each of ``modules`` (name, module): its
    ``reset_parameters`` or ``_reset_parameters``; None-free."""
    calls = []
    for _, m in modules:
        for attr in ("reset_parameters", "_reset_parameters"):
            f = getattr(m, attr, None)
            if callable(f):
                calls.append((f"{type(m).__name__}.{attr}", f, m))
                break
    return calls


def hf_init_calls(model: Any) -> List[Tuple[str, Callable[[], Any], Any]]:
    """transformers' ``_init_weights`` for every module, each sub-model
    (a ``PreTrainedModel`` inside) with its own, children first (as
    transformers' ``initialize_weights``)."""
    calls: List[Tuple[str, Callable[[], Any], Any]] = []
    pretrained = type(model)
    base = None
    for cls in pretrained.__mro__:
        if cls.__name__ == "PreTrainedModel":
            base = cls
            break

    def visit(m: Any, owner: Any) -> None:
        for child in m.children():
            visit(child, child if base is not None and isinstance(child, base) else owner)
        calls.append((f"{type(owner).__name__}._init_weights", functools.partial(owner._init_weights, m), m))

    visit(model, model)
    return calls


def tied_owners(module: Any) -> Dict[str, int]:
    """For each parameter shared by several modules (tied weights): its
    name (the first, as ``named_parameters`` gives it) -> id of the module
    that owns it under that name."""
    first: Dict[int, Tuple[str, Any]] = {}
    count: Dict[int, int] = {}
    for mod_name, mod in module.named_modules(remove_duplicate=False):
        for pname, p in mod.named_parameters(recurse=False):
            key = id(p)
            count[key] = count.get(key, 0) + 1
            if key not in first:
                first[key] = (f"{mod_name}.{pname}" if mod_name else pname, mod)
    return {first[k][0]: id(first[k][1]) for k, n in count.items() if n > 1}


def is_hf_model(module: Any) -> bool:
    return hasattr(module, "_init_weights") and hasattr(module, "config") and any(
        c.__name__ == "PreTrainedModel" for c in type(module).__mro__)


def clear_hf_flags(module: Any) -> list:
    """transformers marks what it initialized (``_is_hf_initialized``) and
    then skips it; clear the marks for the replay, returning them."""
    saved = []
    for obj in list(module.modules()) + list(module.parameters()) + list(module.buffers()):
        if getattr(obj, "_is_hf_initialized", False):
            saved.append(obj)
            obj._is_hf_initialized = False
    return saved


__all__ = ["Replay", "own_init_calls", "hf_init_calls", "is_hf_model", "clear_hf_flags", "_nninit"]
