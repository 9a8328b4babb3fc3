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

import os
import sys
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _nninit
from ._nninit import Generator, Init, Rules, __version__, calculate_gain, fans
from ._probe import ProbeReport, probe

__all__ = [
    "Generator",
    "Init",
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
    "probe",
    "ProbeReport",
    "__version__",
]

_NUMPY_DTYPES = {
    "float32": np.float32,
    "f32": np.float32,
    "float64": np.float64,
    "f64": np.float64,
    "float16": np.float16,
    "f16": np.float16,
}


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
        raise ValueError(
            "nninit draws from its own streams keyed by (seed, name); "
            "pass seed=... and name=... instead of a torch.Generator"
        )


# ---------------------------------------------------------------- buffers


def _fill_numpy(arr: np.ndarray, init: Init, seed: int, name: str, layout: str, generator=None) -> np.ndarray:
    if not arr.flags.writeable:
        raise ValueError("the array is read-only (arr.flags.writeable is False); nninit fills in place")
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
        raise ValueError(
            "the tensor is on the meta device and has no memory; "
            "call module.to_empty(device='cpu') (or another device) first"
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
        else:
            tmp = torch.empty(tuple(d.shape), dtype=d.dtype)
            arr = tmp.view(torch.int16).numpy() if bf16 else tmp.numpy()
            _nninit.fill(arr, init, list(shape), seed=seed, name=name, layout=layout, offset=off, bf16_bits=bf16,
                         generator=generator)
            d.copy_(tmp)


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


def _fill_any(tensor: Any, init: Init, seed: int, name: str, layout: str = "torch", generator=None) -> Any:
    if isinstance(tensor, np.ndarray):
        return _fill_numpy(tensor, init, seed, name, layout, generator)
    torch = _torch()
    if torch is not None and isinstance(tensor, torch.Tensor):
        if _is_dtensor(tensor):
            if generator is not None:
                raise ValueError(
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


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


# ---------------------------------------------------------------- drop-ins


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor"):
    """Fill with U(a, b) (``torch.nn.init.uniform_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.uniform(a, b), seed, name)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor"):
    """Fill with N(mean, std^2) (``torch.nn.init.normal_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.normal(mean, std), seed, name)


def trunc_normal_(
    tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
):
    """Fill with N(mean, std^2) restricted to the absolute bounds [a, b] (``torch.nn.init.trunc_normal_``)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.trunc_normal(mean, std, a, b), seed, name)


def constant_(tensor, val: float, *, seed: int = 0, name: str = "tensor"):
    """Fill with ``val`` (``torch.nn.init.constant_``)."""
    return _fill_any(tensor, Init.constant(val), seed, name)


def ones_(tensor, *, seed: int = 0, name: str = "tensor"):
    """Fill with 1."""
    return _fill_any(tensor, Init.constant(1.0), seed, name)


def zeros_(tensor, *, seed: int = 0, name: str = "tensor"):
    """Fill with 0."""
    return _fill_any(tensor, Init.constant(0.0), seed, name)


def eye_(tensor, *, seed: int = 0, name: str = "tensor"):
    """The identity matrix of a 2-D tensor (``torch.nn.init.eye_``)."""
    return _fill_any(tensor, Init.eye(), seed, name)


def dirac_(tensor, groups: int = 1, *, seed: int = 0, name: str = "tensor"):
    """The Dirac delta of a 3-, 4- or 5-D convolution kernel, in ``groups`` groups (``torch.nn.init.dirac_``)."""
    return _fill_any(tensor, Init.dirac(groups), seed, name)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor"):
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    _no_generator(generator)
    return _fill_any(tensor, Init.xavier_uniform(gain), seed, name)


def xavier_normal_(tensor, gain: float = 1.0, generator=None, *, seed: int = 0, name: str = "tensor"):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _no_generator(generator)
    return _fill_any(tensor, Init.xavier_normal(gain), seed, name)


def kaiming_uniform_(
    tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan_mode), gain = calculate_gain(nonlinearity, a)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.kaiming_uniform(float(a), mode, nonlinearity), seed, name)


def kaiming_normal_(
    tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
    *,
    seed: int = 0,
    name: str = "tensor",
):
    """He normal: N(0, std^2) with std = gain / sqrt(fan_mode), gain = calculate_gain(nonlinearity, a)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.kaiming_normal(float(a), mode, nonlinearity), seed, name)


def orthogonal_(tensor, gain: float = 1, generator=None, *, seed: int = 0, name: str = "tensor"):
    """A (semi-)orthogonal matrix (rows x prod(rest)) times ``gain`` (Saxe et al. 2013)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.orthogonal(float(gain)), seed, name)


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None, *, seed: int = 0, name: str = "tensor"):
    """2-D: in each column, ceil(sparsity * rows) entries zero, the others N(0, std^2) (Martens 2010)."""
    _no_generator(generator)
    return _fill_any(tensor, Init.sparse(sparsity, std), seed, name)


def _generator(rng: Union[str, "Generator"], seed: int):
    """None for nninit's keyed streams, else the framework generator."""
    if isinstance(rng, Generator):
        return rng
    if str(rng).lower() == "nninit":
        return None
    if str(rng).lower() == "torch" and os.environ.get("ATEN_CPU_CAPABILITY", "").lower() == "default":
        # torch runs its portable kernels then; reproduce those
        return Generator("torch", seed, kernels="scalar")
    return Generator(str(rng), seed)


def fill_(
    tensor,
    expr: Union[str, Init],
    *,
    seed: int = 0,
    name: str = "tensor",
    layout: str = "torch",
    rng: Union[str, Generator] = "nninit",
):
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
    seed: int = 0,
    name: str = "tensor",
    dtype: str = "float32",
    layout: str = "torch",
    rng: Union[str, Generator] = "nninit",
) -> np.ndarray:
    """A new array of ``shape`` filled with ``expr``: the values of
    ``nninit sample EXPR --shape ... --seed SEED --name NAME --dtype DTYPE --rng RNG``
    (``rng="numpy"``: ``np.random.seed(seed)`` then one NumPy call;
    ``rng="torch"``: ``torch.manual_seed(seed)`` then the torch.nn.init function)."""
    init = expr if isinstance(expr, Init) else Init.parse(expr)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    key = str(dtype).replace("numpy.", "").lower()
    if key in ("bfloat16", "bf16"):
        raise ValueError("NumPy has no bfloat16 dtype; fill a torch.bfloat16 tensor with nninit.fill_ instead")
    if key not in _NUMPY_DTYPES:
        raise ValueError(f"unknown dtype `{dtype}`; allowed: float32, float64, float16")
    shape = [int(d) for d in shape]
    init.check(shape, key, layout)
    out = np.empty(shape, dtype=_NUMPY_DTYPES[key])
    _nninit.fill(out, init, shape, seed=seed, name=name, layout=layout, generator=_generator(rng, seed))
    return out


# ---------------------------------------------------------------- modules


def _kind(module: Any) -> Optional[str]:
    """The family of a torch module for PyTorch's default initialization."""
    nn = _torch().nn
    if isinstance(module, nn.MultiheadAttention):
        return "multihead_attention"
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        return "conv_transpose"
    if isinstance(module, nn.modules.conv._ConvNd):
        return "conv"
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return "embedding"
    norms = [nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase]
    if hasattr(nn, "RMSNorm"):
        norms.append(nn.RMSNorm)
    if isinstance(module, tuple(norms)):
        return "norm"
    return None


def _rules(rules: Any) -> Optional[Rules]:
    if rules is None:
        return None
    if isinstance(rules, Rules):
        return rules
    if isinstance(rules, (str, os.PathLike)):
        return Rules.load(os.fspath(rules))
    if isinstance(rules, Mapping):
        pairs = list(rules.items())
    else:
        pairs = list(rules)
    return Rules([(str(g), e if isinstance(e, str) else str(e)) for g, e in pairs])


def _plan(module: Any, rules: Optional[Rules]):
    """(qualified name, parameter, Init, why) for every parameter, in
    ``named_parameters()`` order; an error names the first parameter that
    cannot be initialized, before anything is written."""
    owners = {}  # parameter name -> (kind, name within the owning module, weight shape)
    mha = []
    for mod_name, mod in module.named_modules():
        kind = _kind(mod)
        prefix = f"{mod_name}." if mod_name else ""
        if kind == "multihead_attention":
            mha.append(prefix)
            for pname, p in mod.named_parameters():
                owners[prefix + pname] = (kind, pname, None)
            continue
        if any(prefix.startswith(m) for m in mha):
            continue
        w = getattr(mod, "weight", None)
        wshape = list(w.shape) if w is not None and hasattr(w, "shape") else None
        for pname, _ in mod.named_parameters(recurse=False):
            owners[prefix + pname] = (kind, pname, wshape)
    plan = []
    for qual, p in module.named_parameters():
        if p.is_meta:
            raise ValueError(
                f"parameter `{qual}` is on the meta device and has no memory; "
                "call module.to_empty(device='cpu') (or another device) first"
            )
        dtype = _dtype_name(p.dtype)
        hit = rules.first_match(qual) if rules is not None else None
        if hit is not None:
            i, glob, init = hit
            why = f"rule {i} `{glob}`"
        else:
            kind, pname, wshape = owners.get(qual, (None, qual, None))
            init = _nninit.torch_default_for(kind, pname, wshape) if kind is not None else None
            if init is None:
                raise ValueError(
                    f"parameter `{qual}` ({type(_owner(module, qual)).__name__}) has no default initializer in nninit; "
                    f"give it a rule, e.g. rules=[(\"{qual}\", \"normal(std=0.02)\")]"
                )
            why = f"torch default for {kind}"
        try:
            init.check(list(p.shape), dtype)
        except ValueError as e:
            raise ValueError(f"parameter `{qual}`: {e}") from None
        plan.append((qual, p, init, why))
    return plan


def _owner(module: Any, qual: str) -> Any:
    mod = module
    for part in qual.split(".")[:-1]:
        mod = getattr(mod, part)
    return mod


def init_module(
    module,
    *,
    seed: int = 0,
    rules: Union[None, str, "os.PathLike[str]", Rules, Mapping[str, str], Iterable[Tuple[str, str]]] = None,
    verbose: bool = False,
    rng: str = "nninit",
):
    """Initialize every parameter of a torch module in place and return it.

    A parameter's stream is its fully qualified name (``"encoder.0.weight"``),
    so it gets the values of ``nninit sample ... --name encoder.0.weight``
    and adding a layer never changes the others. ``rules`` maps globs over
    names to init expressions (an ordered dict, a list of pairs or a spec
    file path; first match wins). Parameters no rule matches get what
    PyTorch's own ``reset_parameters`` draws for their module (Linear and
    Conv weights ``torch_default``, biases ``torch_default_bias(fan_in)``,
    Embedding ``normal``, norm layers ones and zeros, MultiheadAttention's
    xavier_uniform and zeros); any other parameter is an error naming it.

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
    _require_torch()
    plan = _plan(module, _rules(rules))
    generator = _generator(rng, seed)
    if generator is not None:
        for qual, p, init, why in plan:
            if why.startswith("torch default for multihead_attention"):
                raise ValueError(
                    f"rng `{generator.rng}` cannot reproduce `{qual}`: nn.MultiheadAttention draws its out_proj "
                    "before its in_proj, not in named_parameters() order; use the default rng (nninit)"
                )
    nn = _torch().nn
    for qual, p, init, why in plan:
        if verbose:
            print(f"{qual}: {init} ({why})")
        _fill_any(p, init, seed, qual, generator=generator)
        owner = _owner(module, qual)
        if (
            isinstance(owner, nn.Embedding)
            and qual.endswith("weight")
            and owner.padding_idx is not None
            and not why.startswith("rule")
        ):
            # as nn.Embedding.reset_parameters: the padding row is zero
            with _torch().no_grad():
                p[owner.padding_idx].fill_(0)
    return module


def init_checkpoint(
    config: Union[str, "os.PathLike[str]"],
    out_dir: Union[str, "os.PathLike[str]"],
    *,
    seed: int = 0,
    dtype: Optional[str] = "float32",
    max_shard_size: str = "5GB",
    part: Union[None, str, Tuple[int, int]] = None,
    force: bool = False,
) -> list:
    """Write the Hugging Face checkpoint of ``config`` (a ``config.json``)
    into ``out_dir``, as ``nninit init --hf-config CONFIG --out OUT_DIR``.

    ``part`` is ``(I, N)`` or ``"I/N"`` (1-based): write only part I's shard
    files, so N processes together write the files of one run, byte for
    byte, index included. When ``part`` is None it comes from ``RANK`` and
    ``WORLD_SIZE`` as torchrun and most launchers set them (part RANK+1 of
    WORLD_SIZE), or is the whole job. ``dtype=None`` takes the config's
    ``torch_dtype``. A directory nninit did not write is refused unless
    ``force``; a previous run's stale files are removed (the directory holds
    one run's files). Returns the names of the files this call wrote.
    """
    if part is None:
        rank, world = os.environ.get("RANK"), os.environ.get("WORLD_SIZE")
        part = (int(rank) + 1, int(world)) if rank is not None and world is not None else (1, 1)
    elif isinstance(part, str):
        i, sep, n = part.partition("/")
        if not sep or not i.strip().isdigit() or not n.strip().isdigit():
            raise ValueError(f"invalid part `{part}`: I/N with 1 <= I <= N (part I of N), e.g. 1/4")
        part = (int(i), int(n))
    return _nninit.write_checkpoint(
        os.fspath(config), os.fspath(out_dir), seed=seed, dtype=dtype, max_shard_size=max_shard_size,
        part=(int(part[0]), int(part[1])), force=force,
    )
