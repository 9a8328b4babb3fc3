"""nninit: neural-network parameter initialization with PyTorch's semantics.

Every value is a pure function of (seed, tensor name, element index), so a
tensor gets the same values on 1 or 1000 ranks, for any thread count and any
sharding (DTensor ``Shard(d)``, FSDP2, tensor parallel, 2-D meshes).

The functions below fill NumPy arrays and PyTorch tensors in place. The
drop-in functions have ``torch.nn.init``'s names and parameters, plus two
keyword-only ones: ``seed`` and ``name`` (the tensor's stream). Their values
are bit-identical to ``nninit sample EXPR --shape ... --seed S --name N``.

All formulas, fans, gains, validation and values come from the Rust library;
this module only finds a tensor's buffer and its place in a sharded tensor.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

from . import _nninit
from ._mup import CoordReport, coord_check, mup
from ._nninit import Generator, Init, NninitError, Rules, __version__, calculate_gain, fans
from ._probe import ProbeReport, probe

#: A NumPy array or torch tensor, filled in place and returned.
T = TypeVar("T")

__all__ = [
    "Generator",
    "Init",
    "NninitError",
    "Rules",
    "calculate_gain",
    "fans",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    "fill_",
    "sample",
    "init_module",
    "init_checkpoint",
    "plan",
    "probe",
    "ProbeReport",
    "mup",
    "coord_check",
    "CoordReport",
    "__version__",
]

def _torch():
    """torch if it is already imported (a torch tensor implies it is), else None."""
    return sys.modules.get("torch")


def _require_torch():
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("this function needs PyTorch: pip install torch") from e
    return torch


def _no_generator(generator: Any) -> None:
    if generator is not None:
        raise NninitError(
            "nninit draws from its own streams keyed by (seed, name); "
            "pass seed=... and name=... instead of a torch.Generator"
        )


# ---------------------------------------------------------------- buffers


def _fill_numpy(arr: np.ndarray, init: Init, seed: int, name: str, layout: str, generator=None) -> np.ndarray:
    if not arr.flags.writeable:
        raise NninitError("the array is read-only (arr.flags.writeable is False); nninit fills in place")
    if arr.flags.c_contiguous:
        _nninit.fill(arr, init, list(arr.shape), seed=seed, name=name, layout=layout, generator=generator)
    else:
        if arr.dtype not in (np.float32, np.float64, np.float16):
            raise TypeError(
                f"nninit fills floating-point arrays (float32, float64, float16; and bfloat16 torch tensors), not {arr.dtype}"
            )
        tmp = np.empty(arr.shape, dtype=arr.dtype)
        _nninit.fill(tmp, init, list(arr.shape), seed=seed, name=name, layout=layout, generator=generator)
        arr[...] = tmp
    return arr


def _fill_local(
    t: Any,
    init: Init,
    shape: Sequence[int],
    seed: int,
    name: str,
    layout: str,
    offset: Optional[Sequence[int]] = None,
    generator=None,
) -> None:
    """Fill the plain (non-DTensor) torch tensor ``t``: the whole tensor of
    ``shape``, or its block at ``offset``."""
    torch = _torch()
    if t.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise TypeError(
            f"nninit fills floating-point tensors (float32, float64, float16, bfloat16), not {t.dtype}"
        )
    if t.is_meta:
        raise NninitError(
            "the tensor is on the meta device and has no memory; "
            "call module.to_empty(device='cpu') (or another device) first"
        )
    inference = t.is_inference()
    if inference and not torch.is_inference_mode_enabled():
        # as torch: "Inplace update to inference tensor outside InferenceMode is not allowed"
        raise NninitError(
            "the tensor was made under torch.inference_mode() and cannot be updated in place outside it "
            "(as torch refuses); fill a clone (t.clone()), or call nninit inside torch.inference_mode()"
        )
    off = None if offset is None else list(offset)
    bf16 = t.dtype == torch.bfloat16
    with torch.no_grad():
        d = t.detach()
        if d.device.type == "cpu" and d.is_contiguous():
            # shares memory with the tensor: no copy
            arr = d.view(torch.int16).numpy() if bf16 else d.numpy()
            _nninit.fill(arr, init, list(shape), seed=seed, name=name, layout=layout, offset=off, bf16_bits=bf16,
                         generator=generator)
            if not inference:
                # written behind autograd's back (through NumPy): tell it, as
                # an in-place torch op would, so that a graph that saved the
                # old values raises "modified by an inplace operation" in
                # backward instead of using the new ones silently (the
                # detached view shares the tensor's version counter)
                _bump_version(d)
        else:
            tmp = torch.empty(tuple(d.shape), dtype=d.dtype)
            arr = tmp.view(torch.int16).numpy() if bf16 else tmp.numpy()
            _nninit.fill(arr, init, list(shape), seed=seed, name=name, layout=layout, offset=off, bf16_bits=bf16,
                         generator=generator)
            d.copy_(tmp)  # an in-place op: bumps the version counter itself


def _bump_version(t: Any) -> None:
    """Increment the autograd version counter of ``t`` (shared with every view of its tensor)."""
    graph = getattr(_torch().autograd, "graph", None)
    inc = getattr(graph, "increment_version", None)
    if inc is not None:
        inc(t)
    else:  # pragma: no cover - torch < 2.1: a no-op in-place op bumps it too
        t.add_(0)


def _is_dtensor(t: Any) -> bool:
    if "torch.distributed.tensor" not in sys.modules and "torch.distributed._tensor" not in sys.modules:
        return False
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover - torch < 2.4
        return False
    return isinstance(t, DTensor)


def _local_block(t: Any) -> Tuple[Any, list, list]:
    """(local tensor, global shape, global offset of the local block) of a DTensor."""
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    shape = list(t.shape)
    local_shape, offset = compute_local_shape_and_global_offset(t.shape, t.device_mesh, t.placements)
    local = t.to_local()
    if list(local.shape) != list(local_shape):
        raise ValueError(
            f"the local shard has shape {list(local.shape)}, but its placement {t.placements} "
            f"on a mesh of shape {tuple(t.device_mesh.shape)} gives {list(local_shape)}"
        )
    return local, shape, list(offset)


def _fill_any(tensor: T, init: Init, seed: int, name: str, layout: str = "torch", generator=None) -> T:
    if isinstance(tensor, np.ndarray):
        _fill_numpy(tensor, init, seed, name, layout, generator)
        return tensor
    torch = _torch()
    if torch is not None and isinstance(tensor, torch.Tensor):
        if _is_dtensor(tensor):
            if generator is not None:
                raise NninitError(
                    f"rng `{generator.rng}` cannot do a block of a sharded tensor: sequential generators fill whole "
                    "tensors in order; use the default rng (nninit)"
                )
            local, shape, offset = _local_block(tensor)
            if local.numel() > 0:
                _fill_local(local, init, shape, seed, name, layout, offset)
            else:
                init.check(shape, _dtype_name(tensor.dtype), layout)
        else:
            _fill_local(tensor, init, list(tensor.shape), seed, name, layout, generator=generator)
        return tensor
    raise TypeError(f"expected a numpy.ndarray or torch.Tensor, got {type(tensor).__name__}")


def _write_region(tensor: Any, init: Init, seed: int, name: str, start: Sequence[int], size: Sequence[int]) -> None:
    """Fill the block ``[start, start + size)`` of the (global) torch tensor
    ``tensor`` with ``init``'s values there, through the same region fill as
    every other write: on a DTensor each rank writes only the part of the
    block its local shard holds (any placement, uneven shards, 2-D meshes)."""
    if _is_dtensor(tensor):
        local, shape, offset = _local_block(tensor)
        local_shape = list(local.shape)
    else:
        local, shape, offset, local_shape = tensor, list(tensor.shape), [0] * tensor.dim(), list(tensor.shape)
    lo = [max(s, o) for s, o in zip(start, offset)]
    hi = [min(s + n, o + m) for s, n, o, m in zip(start, size, offset, local_shape)]
    if any(h <= l for l, h in zip(lo, hi)):
        return  # this rank holds none of it
    view = local[tuple(slice(l - o, h - o) for l, h, o in zip(lo, hi, offset))]
    _fill_local(view, init, shape, seed, name, "torch", lo)


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


# ---------------------------------------------------------------- drop-ins


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """Fill with U(a, b) (``torch.nn.init.uniform_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.uniform(a, b), seed, name)


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """Fill with N(mean, std^2) (``torch.nn.init.normal_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.normal(mean, std), seed, name)


def trunc_normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
) -> T:
    """Fill with N(mean, std^2) restricted to the absolute bounds [a, b] (``torch.nn.init.trunc_normal_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.trunc_normal(mean, std, a, b), seed, name)


def constant_(tensor: T, val: float, *, seed: int = 0, name: str = "tensor") -> T:
    """Fill with ``val`` (``torch.nn.init.constant_``)."""
    return _fill_any(tensor, Init.constant(val), seed, name)


def ones_(tensor: T, *, seed: int = 0, name: str = "tensor") -> T:
    """Fill with 1."""
    return _fill_any(tensor, Init.constant(1.0), seed, name)


def zeros_(tensor: T, *, seed: int = 0, name: str = "tensor") -> T:
    """Fill with 0."""
    return _fill_any(tensor, Init.constant(0.0), seed, name)


def eye_(tensor: T, *, seed: int = 0, name: str = "tensor") -> T:
    """The identity matrix of a 2-D tensor (``torch.nn.init.eye_``)."""
    return _fill_any(tensor, Init.eye(), seed, name)


def dirac_(tensor: T, groups: int = 1, *, seed: int = 0, name: str = "tensor") -> T:
    """The Dirac delta of a 3-, 4- or 5-D convolution kernel, in ``groups`` groups (``torch.nn.init.dirac_``)."""
    return _fill_any(tensor, Init.dirac(groups), seed, name)


def xavier_uniform_(tensor: T, gain: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    _no_generator(generator)
    return _fill_any(tensor, Init.xavier_uniform(gain), seed, name)


def xavier_normal_(tensor: T, gain: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _no_generator(generator)
    return _fill_any(tensor, Init.xavier_normal(gain), seed, name)


def _zero_element(tensor: Any) -> bool:
    """torch's kaiming_*_ on a tensor with a zero dimension: warn, do nothing."""
    if 0 in tuple(getattr(tensor, "shape", ())):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(
    tensor: T,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
) -> T:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan_mode), gain = calculate_gain(nonlinearity, a)."""
    _no_generator(generator)
    if _zero_element(tensor):
        return tensor
    return _fill_any(tensor, Init.kaiming_uniform(float(a), mode, nonlinearity=nonlinearity), seed, name)


def kaiming_normal_(
    tensor: T,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
) -> T:
    """He normal: N(0, std^2) with std = gain / sqrt(fan_mode), gain = calculate_gain(nonlinearity, a)."""
    _no_generator(generator)
    if _zero_element(tensor):
        return tensor
    return _fill_any(tensor, Init.kaiming_normal(float(a), mode, nonlinearity=nonlinearity), seed, name)


def orthogonal_(tensor: T, gain: float = 1, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """A (semi-)orthogonal matrix (rows x prod(rest)) times ``gain`` (Saxe et al. 2013)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.orthogonal(float(gain)), seed, name)


def sparse_(tensor: T, sparsity: float, std: float = 0.01, generator=None, *, seed: int = 0, name: str = "tensor") -> T:
    """2-D: in each column, ceil(sparsity * rows) entries zero, the others N(0, std^2) (Martens 2010)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.sparse(sparsity, std), seed, name)


def _generator(rng: Union[str, "Generator"], seed: Union[int, Sequence[int]]) -> Optional[Generator]:
    """None for nninit's keyed streams, else the framework generator (torch's
    kernel build chosen in Rust, from ATEN_CPU_CAPABILITY as torch reads it)."""
    if isinstance(rng, Generator):
        return rng
    if str(rng).lower() == "nninit":
        return None
    if str(rng).lower() == "jax":
        return Generator("jax", seed, per_tensor=False)  # one tensor from jax.random.key(seed) itself
    return Generator(str(rng), seed)


def fill_(
    tensor: T,
    expr: Union[str, Init],
    *,
    seed: int = 0,
    name: str = "tensor",
    layout: str = "torch",
    rng: Union[str, Generator] = "nninit",
) -> T:
    """Fill with an init expression of the CLI's language (``"kaiming_normal(nonlinearity=relu)"``).

    ``rng="numpy"`` is ``np.random.seed(seed)`` then the NumPy call,
    ``rng="torch"`` is ``torch.manual_seed(seed)`` then the ``torch.nn.init``
    function; pass a ``Generator`` to draw several tensors in sequence."""
    init = expr if isinstance(expr, Init) else Init.parse(expr)
    return _fill_any(tensor, init, seed, name, layout, _generator(rng, seed))


def sample(
    expr: Union[str, Init],
    shape: Union[int, Sequence[int]],
    *,
    seed: Union[int, Sequence[int]] = 0,
    name: str = "tensor",
    dtype: Any = "float32",
    layout: str = "torch",
    rng: Union[str, Generator] = "nninit",
) -> np.ndarray:
    """A new array of ``shape`` filled with ``expr``: the values of
    ``nninit sample EXPR --shape ... --seed SEED --name NAME --dtype DTYPE --rng RNG``
    (``rng="numpy"``: ``np.random.seed(seed)`` then one NumPy call;
    ``rng="numpy-default"``: ``np.random.default_rng(seed)`` then one call, ``seed`` an
    int or a sequence of ints: N(0, 1) is ``standard_normal(n, dtype=...)``, U(0, 1)
    ``random(n, dtype=...)``, other normals and uniforms ``normal(loc, scale, n)`` and
    ``uniform(low, high, n)`` in float64, rounded to ``dtype``;
    ``rng="torch"``: ``torch.manual_seed(seed)`` then the torch.nn.init function;
    ``rng="jax"``: ``jax.random.normal/uniform/truncated_normal`` with ``jax.random.key(seed)``,
    times std plus mean, float32 or float64, under JAX's flags).
    ``dtype``: ``"float32"``, ``"float64"``, ``"float16"`` (or ``np.float32``,
    ``torch.float32``, ...)."""
    init = expr if isinstance(expr, Init) else Init.parse(expr)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    generator = _generator(rng, seed)
    stream_seed = 0
    if generator is None:
        if not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed {seed!r}: rng `nninit` takes an integer seed (a sequence is a seed of rng "
                            "`numpy-default`)")
        stream_seed = int(seed)
    return _nninit.sample(init, [int(d) for d in shape], seed=stream_seed, name=name, dtype=dtype, layout=layout,
                          generator=generator)


# ---------------------------------------------------------------- modules


def _torch_class(module: Any) -> Optional[str]:
    """The first ``torch.nn`` class in the module's class hierarchy (a
    subclass of ``nn.Linear`` is planned as a Linear), or None."""
    for cls in type(module).__mro__:
        if cls.__module__.startswith("torch.nn.modules"):
            return cls.__name__
    return None


RulesLike = Union[None, str, "os.PathLike[str]", Rules, Mapping[str, Union[str, Init]], Iterable[Tuple[str, Union[str, Init]]]]


def _rules(rules: RulesLike) -> Optional[Rules]:
    if rules is None:
        return None
    if isinstance(rules, Rules):
        return rules
    if isinstance(rules, (str, os.PathLike)):
        return Rules.load(os.fspath(rules))
    return Rules(rules)


def _describe(module: Any) -> Tuple[List[dict], Dict[str, Any]]:
    """Each parameter (in ``named_parameters()`` order) as the Rust plan
    reads it, and the module that owns each (by qualified name)."""
    nn = _torch().nn
    owners: Dict[str, Tuple[Any, str]] = {}  # parameter name -> (module, name within it)
    mha: List[str] = []
    for mod_name, mod in module.named_modules():
        prefix = f"{mod_name}." if mod_name else ""
        if any(prefix.startswith(m) for m in mha):
            continue  # nn.MultiheadAttention's out_proj is planned with it
        if isinstance(mod, nn.MultiheadAttention):
            mha.append(prefix)
            for pname, _ in mod.named_parameters():
                owners[prefix + pname] = (mod, pname)
            continue
        for pname, _ in mod.named_parameters(recurse=False):
            owners[prefix + pname] = (mod, pname)
    rows = []
    for qual, p in module.named_parameters():
        if p.is_meta:
            raise NninitError(
                f"parameter `{qual}` is on the meta device and has no memory; "
                "call module.to_empty(device='cpu') (or another device) first"
            )
        mod, local = owners.get(qual, (module, qual))
        w = getattr(mod, "weight", None)
        wshape = [int(d) for d in w.shape] if isinstance(w, _torch().Tensor) else None
        pad = getattr(mod, "padding_idx", None)
        if isinstance(pad, int) and wshape and pad < 0:
            pad += wshape[0]
        hidden = getattr(mod, "hidden_size", None)
        prelu = getattr(mod, "init", None)
        rows.append({
            "name": qual, "local": local, "shape": [int(d) for d in p.shape], "dtype": _dtype_name(p.dtype),
            "class": type(mod).__name__, "torch_class": _torch_class(mod), "weight_shape": wshape,
            "hidden_size": hidden if isinstance(hidden, int) else None,
            "padding_idx": pad if isinstance(pad, int) else None,
            "prelu_init": float(prelu) if isinstance(prelu, (int, float)) and not isinstance(prelu, bool) else None,
        })
    return rows, {q: m for q, (m, _) in owners.items()}


RolesLike = Union[None, Mapping[str, str], Iterable[Tuple[str, str]]]


def _roles(roles: RolesLike) -> Optional[List[Tuple[str, str]]]:
    if roles is None:
        return None
    items = roles.items() if isinstance(roles, Mapping) else roles
    out = []
    for pair in items:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise NninitError(f"roles: {pair!r} is not a (glob, role) pair of strings, e.g. (\"*.proj.weight\", \"attn_out\")")
        out.append(pair)
    return out


def _plan(module: Any, rules: Optional[Rules], scheme: Optional[str] = None, seed: int = 0,
          roles: Optional[List[Tuple[str, str]]] = None) -> Tuple[Any, Any]:
    """The plan of every parameter, in ``named_parameters()`` order, made in
    Rust (``nninit_io::model::plan``), and the replay that carries out its
    recorded part (None when nothing is replayed).

    Scheme ``torch`` (the default for a plain module): PyTorch's per-module
    defaults; a module class it does not know has its own
    ``reset_parameters`` replayed (dry: nothing written) and what it draws
    recorded. Scheme ``hf`` (the default for a transformers model):
    transformers' ``_init_weights`` replayed over every module. Every
    parameter nothing covers and every rule that matches nothing is an
    error, before anything is written."""
    from . import _replay

    if _replay.is_hf_model(module) and callable(getattr(module, "tie_weights", None)):
        # tied weights (tie_word_embeddings) are one parameter, initialized
        # once; a model built on the meta device and moved with to_empty has
        # lost its ties, which transformers restores here as from_config does
        module.tie_weights()
    rows, owner_of = _describe(module)
    if scheme is None:
        scheme = "hf" if _replay.is_hf_model(module) else "torch"
    params = dict(module.named_parameters())
    if str(scheme).lower() in ("hf", "transformers", "huggingface"):
        if not _replay.is_hf_model(module):
            raise NninitError(
                f"scheme `{scheme}` replays a transformers model's own _init_weights, and "
                f"{type(module).__name__} is not a transformers PreTrainedModel; use scheme=\"torch\""
            )
        calls = _replay.hf_init_calls(module)
    else:
        _, uncovered = _nninit.plan_params(rows, rules, scheme, partial=True, roles=roles)
        if not uncovered:
            return _nninit.plan_params(rows, rules, scheme, roles=roles), None
        mods, seen = [], set()
        for q in uncovered:
            m = owner_of.get(q)
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                mods.append((q, m))
        calls = _replay.own_init_calls(module, mods)
    if any(_is_dtensor(p) for p in params.values()):
        # sharded parameters: the plan is recorded on an unsharded twin
        # (built on the meta device, moved with to_empty: no memory touched)
        # and carried out here by region fills, each rank writing its block
        torch = _torch()
        if _replay.is_hf_model(module):
            with torch.device("meta"):
                twin = type(module)(module.config)
            twin_plan, twin_replay = _plan(twin.to_empty(device="cpu"), rules, scheme, seed, roles)
        else:
            # the module itself, its DTensor parameters swapped for plain
            # tensors of their global shape for the dry run (allocated, never
            # touched: the dry run writes nothing), then swapped back
            with _plain_parameters(module):
                twin_plan, twin_replay = _plan(module, rules, scheme, seed, roles)
        if twin_replay is not None and twin_replay[0].inexact:
            raise NninitError(
                "on sharded parameters nninit carries out a plan, and the model's own code writes "
                f"{', '.join(sorted(twin_replay[0].inexact))} in a way a plan does not describe (a slice, a computed "
                "value); give them rules, or initialize before sharding"
            )
        return twin_plan, None
    skip = {q for q in params if rules is not None and rules.first_match(q) is not None}
    replay = _replay.Replay(params, seed, skip, _replay.tied_owners(module))
    saved = _replay.clear_hf_flags(module)
    try:
        replay.run(calls, dry=True)
    finally:
        for obj in saved:
            obj._is_hf_initialized = True
    for r in rows:
        rec = replay.recorded.get(r["name"])
        if rec is not None and rec[0] is not None:
            r["recorded_init"], r["recorded_from"], r["recorded_zero_row"] = rec
    return _nninit.plan_params(rows, rules, scheme, roles=roles), (replay, calls)


@contextlib.contextmanager
def _plain_parameters(module: Any) -> Iterator[None]:
    """``module`` with its DTensor parameters replaced by plain tensors of
    their global shape (allocated, not touched), restored on exit."""
    torch = _torch()
    swapped = []
    try:
        for mod in module.modules():
            for n, p in list(mod._parameters.items()):
                if p is not None and _is_dtensor(p):
                    swapped.append((mod, n, p))
                    plain = torch.empty(tuple(p.shape), dtype=p.dtype)
                    mod._parameters[n] = torch.nn.Parameter(plain, requires_grad=p.requires_grad)
        yield
    finally:
        for mod, n, p in swapped:
            mod._parameters[n] = p


def calls_modules(calls: List[Tuple[str, Any, Any]]) -> List[Tuple[str, Any]]:
    """(where, module) of each replay call."""
    return [(where, m) for where, _, m in calls]


def plan(module: Any, *, seed: int = 0, rules: "RulesLike" = None, scheme: Optional[str] = None,
         roles: RolesLike = None) -> "_nninit.Plan":
    """The plan ``init_module`` would carry out, without writing anything: a
    row per parameter (name, shape, dtype, role, layer, init, why);
    ``print(plan)`` shows a table, ``plan.to_json()`` the JSON, ``plan.entries``
    the rows. ``seed`` does not change the plan (it picks the values), and is
    accepted so that the call mirrors ``init_module``'s. ``roles`` (globs over
    parameter names -> role) override the roles nninit infers."""
    _require_torch()
    return _plan(module, _rules(rules), scheme, seed, _roles(roles))[0]


def _owner(module: Any, qual: str) -> Any:
    mod = module
    for part in qual.split(".")[:-1]:
        mod = getattr(mod, part)
    return mod


def init_module(
    module,
    *,
    seed: int = 0,
    rules: RulesLike = None,
    verbose: bool = False,
    rng: str = "nninit",
    scheme: Optional[str] = None,
    roles: RolesLike = None,
):
    """Initialize every parameter of a torch module in place and return it.

    A parameter's stream is its fully qualified name (``"encoder.0.weight"``),
    so it gets the values of ``nninit sample ... --name encoder.0.weight``
    and adding a layer never changes the others. ``rules`` maps globs over
    names to init expressions (an ordered dict, a list of pairs or a spec
    file path; first match wins); a rule that matches no parameter is an
    error. Parameters no rule matches get what the ``scheme`` gives them
    (``"torch"``: what PyTorch's own ``reset_parameters`` draws for their
    module: Linear, Conv and ConvTranspose weights ``torch_default`` and
    biases ``torch_default_bias(fan_in)``, Bilinear, RNN/LSTM/GRU (and cells)
    U(+-1/sqrt(...)), Embedding and EmbeddingBag ``normal`` with the padding
    row zero, norm layers ones and zeros, MultiheadAttention's
    xavier_uniform and zeros, PReLU its ``init``; ``"hf"``: a transformers
    model's own ``_init_weights``; an LLM stack's scheme by parameter role:
    ``"megatron"``, ``"megatron(sigma=0.01)"``, ``"torchtitan"``,
    ``"torchtitan(depth_init=false)"``, ``"olmo(method=llama)"``, ``"neox"``,
    ``"neox(init_method=small_init, output_layer_init_method=wang_init)"``,
    ``"nanogpt"``; ``roles`` (globs -> role) name the roles nninit cannot
    infer); every parameter nothing covers is named in one error, with
    nothing written. ``nninit.plan``
    shows the plan without writing; ``verbose=True`` prints it as it goes.

    Sharded parameters (DTensor: ``distribute_tensor``, FSDP2's
    ``fully_shard``, tensor parallel) fill only their local shard, with the
    values of the whole tensor at the shard's coordinates: the same model for
    every world size and placement.

    ``rng="torch"`` reproduces ``torch.manual_seed(seed); Model()`` for
    modules built from Linear, Conv, ConvTranspose, Embedding and norm layers
    (each parameter drawn in ``named_parameters()`` order, which is their
    construction order, with torch's own kernels); ``rng="numpy"`` draws the
    same initializers from ``np.random.seed(seed)``. Neither can fill shards.
    """
    _init_module(module, seed=seed, rules=_rules(rules), verbose=verbose, rng=rng, scheme=scheme,
                 roles=_roles(roles))
    return module


def _init_module(module: Any, *, seed: int, rules: Optional[Rules], verbose: bool, rng: str,
                 scheme: Optional[str], roles: Optional[List[Tuple[str, str]]] = None) -> Any:
    """``init_module``'s work; returns the plan it carried out."""
    _require_torch()
    the_plan, replay = _plan(module, rules, scheme, seed, roles)
    return _carry_out(module, the_plan, replay, seed=seed, verbose=verbose, rng=rng)


def _carry_out(module: Any, the_plan: Any, replay: Any, *, seed: int, verbose: bool = False, rng: str = "nninit") -> Any:
    """Write ``the_plan`` (and its recorded part, by ``replay``) into ``module``."""
    torch = _require_torch()
    entries = the_plan.entries
    params = dict(module.named_parameters())
    generator = _generator(rng, seed)
    if generator is not None:
        for e in entries:
            if e.no_replay is not None:
                raise NninitError(f"rng `{generator.rng}` cannot reproduce `{e.name}`: {e.no_replay}")
    if replay is not None:
        # the recorded part: the modules' own code, run for real on nninit's streams
        from . import _replay

        rep, calls = replay
        saved = _replay.clear_hf_flags(module)
        try:
            rep.run(calls, dry=False)
        finally:
            for obj in saved:
                obj._is_hf_initialized = True
        # buffers the model's own code did not recompute keep what they held
        # (after to_empty: undefined values); say which, never silently
        stale = [n for n, b in module.named_buffers()
                 if b is not None and not b.is_meta and b.untyped_storage().data_ptr() not in rep.buffers_written]
        if stale:
            warnings.warn(
                f"the model's own initialization code does not recompute the buffers {', '.join(stale)}: they keep "
                "the values they had (undefined after to_empty); recompute them, or build the model on the CPU",
                stacklevel=3,
            )
    for e in entries:
        if verbose:
            print(f"{e.name}: {e.init} ({e.why})")
        if e.source == "recorded" and replay is not None:
            continue  # written by the replay above
        p = params[e.name]
        _fill_any(p, e.init, seed, e.name, generator=generator)
        if e.zero_row is not None:
            # as nn.Embedding/EmbeddingBag.reset_parameters: the padding row
            # is zero; written as a region (on a DTensor, only by the ranks
            # holding part of the row: indexing a DTensor writes nowhere)
            _write_region(p, Init.zeros(), seed, e.name, [e.zero_row, 0], [1, p.shape[1]])
    # the rest of a module's initialization state, as its own
    # reset_parameters resets it: BatchNorm's running statistics
    nn = torch.nn
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, nn.modules.batchnorm._NormBase) and mod.track_running_stats:
                mod.reset_running_stats()
    return the_plan


def init_checkpoint(
    config: Union[str, "os.PathLike[str]"],
    out_dir: Union[str, "os.PathLike[str]"],
    *,
    seed: int = 0,
    dtype: Any = None,
    max_shard_size: str = "5GB",
    part: Union[None, str, Tuple[int, int]] = None,
    force: bool = False,
    rules: RulesLike = None,
    scheme: Optional[str] = None,
    roles: RolesLike = None,
) -> List[str]:
    """Write the Hugging Face checkpoint of ``config`` (a ``config.json``)
    into ``out_dir``, as ``nninit init --hf-config CONFIG --out OUT_DIR``.

    ``out_dir`` may be the model directory the config came from (as
    ``huggingface-cli download`` leaves it): its config, tokenizer files,
    ``generation_config.json``, README and licence stay as they are; weight
    files nninit did not write (``*.safetensors``, ``*.bin``, ``*.pt``, an
    index) are refused, named, unless ``force``.

    ``part`` is ``(I, N)`` or ``"I/N"`` (1-based): write only part I's shard
    files, so N processes together write the files of one run, byte for
    byte, index included. When ``part`` is None it comes from ``RANK`` and
    ``WORLD_SIZE`` as torchrun and most launchers set them (part RANK+1 of
    WORLD_SIZE), or is the whole job. ``dtype=None`` (the default, as the
    CLI) takes the config's ``torch_dtype`` (float32 when it has none).
    A previous run's stale files are removed (the directory holds one run's
    files). Every file operation runs with the GIL released, and Ctrl-C
    stops a long write (KeyboardInterrupt, no temporary file left). Returns
    the names of the files this call wrote. ``rules`` (as ``init_module``'s)
    override the config's initializers by tensor name, first match wins; a
    rule that matches no tensor is an error (``nninit init --hf-config ...
    --rules FILE``). ``scheme`` (an LLM stack's: ``"megatron"``,
    ``"torchtitan"``, ``"olmo(method=llama)"``, ...) decides every tensor by
    its role instead of the family's own rules (``--scheme``), with
    ``roles`` naming what nninit cannot infer (``--role GLOB=ROLE``).
    """
    model_type = _config_model_type(config)
    if model_type is not None and model_type not in _nninit.hf_native_model_types():
        return _checkpoint_via_transformers(config, out_dir, model_type, seed=seed, dtype=dtype,
                                            max_shard_size=max_shard_size, part=part, force=force, rules=rules,
                                            scheme=scheme, roles=roles)
    return _nninit.write_checkpoint(
        os.fspath(config), os.fspath(out_dir), seed=seed, dtype=dtype, max_shard_size=max_shard_size,
        part=part, force=force, rules=_rules(rules), scheme=scheme, roles=_roles(roles),
    )


def _config_model_type(config: Any) -> Optional[str]:
    """The config's ``model_type``, or None when it cannot be read here (the
    native writer then reports why)."""
    import json

    try:
        with open(os.fspath(config), encoding="utf-8") as f:
            if not os.path.isfile(os.fspath(config)):
                return None
            mt = json.load(f).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None
    return mt if isinstance(mt, str) else None


def _checkpoint_via_transformers(config: Any, out_dir: Any, model_type: str, *, seed: int, dtype: Any,
                                 max_shard_size: str, part: Any, force: bool, rules: RulesLike,
                                 scheme: Optional[str] = None, roles: RolesLike = None) -> List[str]:
    """A ``model_type`` the native writer does not know: transformers builds
    the model on the meta device (names, shapes, dtypes, ties), nninit
    materializes and initializes it (``init_module``: the family's own
    ``_init_weights`` on nninit's streams) and the native writer writes its
    tensors: the same shards, index and config as the native path, and the
    bytes ``init_module`` gives the same model and seed."""
    import json

    torch = _require_torch()
    try:
        import transformers
    except ImportError:
        raise NninitError(
            f"model_type `{model_type}`: the native writer knows {', '.join(_nninit.hf_native_model_types())}; "
            "for any other family install transformers (pip install transformers), which builds the model"
        ) from None
    with open(os.fspath(config), encoding="utf-8") as f:
        text = f.read()
    d = json.loads(text)
    try:
        cfg = transformers.AutoConfig.for_model(**d)
    except (ValueError, KeyError, TypeError) as e:
        raise NninitError(f"transformers cannot build a config of model_type `{model_type}`: {e}") from None
    name = _nninit.dtype_name(dtype) if dtype is not None else None
    if name is None:
        cfg_dtype = d.get("torch_dtype") or d.get("dtype")
        name = _nninit.dtype_name(cfg_dtype) if isinstance(cfg_dtype, str) else "float32"
    tdtype = getattr(torch, name)
    with torch.device("meta"):
        try:
            model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=tdtype)
        except ValueError:
            model = transformers.AutoModel.from_config(cfg, dtype=tdtype)
    # to_empty allocates without touching the memory: planning (a dry run of
    # the family's _init_weights) writes nothing, and the writer generates
    # every tensor the plan describes whole from its stream, in parallel
    model = model.to_empty(device="cpu")
    the_plan, replay = _plan(model, _rules(rules), scheme, seed, _roles(roles))
    inexact = set(replay[0].inexact) if replay is not None else set()
    entries = {e.name: e for e in the_plan.entries}
    state = model.state_dict()
    data_needed = [k for k, t in state.items() if k not in entries or k in inexact]
    if data_needed:
        # a buffer, or values the plan does not describe whole: materialize
        # the model as init_module does and take those tensors' bytes
        _init_module(model, seed=seed, rules=_rules(rules), verbose=False, rng="nninit", scheme=scheme,
                     roles=_roles(roles))
        state = model.state_dict()
    rows, seen = [], set()
    for key, t in state.items():
        ptr = t.untyped_storage().data_ptr()
        if ptr in seen:
            continue  # a tied weight: saved once, as save_pretrained does
        seen.add(ptr)
        entry = entries.get(key)
        init, zero_row = (str(entry.init), entry.zero_row) if entry is not None else ("zeros", None)
        data = None
        if key in data_needed:
            t = t.detach().contiguous()
            raw = t.view(torch.int16) if t.dtype == torch.bfloat16 else t
            data = raw.numpy().reshape(-1).view(np.uint8)
        rows.append((key, [int(x) for x in t.shape], _dtype_name(t.dtype), init, zero_row, data))
    return _nninit.write_model_checkpoint(rows, text, model_type, os.fspath(out_dir), seed=seed,
                                          max_shard_size=max_shard_size, part=part, force=force)
