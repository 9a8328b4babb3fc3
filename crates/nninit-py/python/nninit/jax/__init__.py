"""nninit for JAX: a parameter tree initialized by path, each leaf keyed by
(seed, path, element index), so the values do not depend on the mesh, the
sharding or the number of hosts; with shardings, every addressable shard is
generated where it lives (``jax.make_array_from_callback`` over nninit's
region fill) and no host builds a tensor it does not own.

``nninit.jax.initializers``: drop-ins for ``jax.nn.initializers`` whose values
are JAX's own, bit for bit (JAX's stream replayed from the key they receive).

``import nninit.jax`` needs ``jax``; the rest of nninit does not.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import _nninit
from .._nninit import Init, NninitError
from . import initializers

__all__ = ["init_params", "initializers", "leaf_name"]


def _jax() -> Any:
    try:
        import jax
    except ImportError as e:  # pragma: no cover - exercised without jax installed
        raise ImportError("nninit.jax needs jax (pip install jax)") from e
    return jax


def leaf_name(path: Sequence[Any]) -> str:
    """A leaf's nninit name: its tree path's keys joined by dots
    (``{"params": {"Dense_0": {"kernel": ...}}}`` -> ``params.Dense_0.kernel``;
    a sequence index is its number, an attribute its name)."""
    parts: List[str] = []
    for k in path:
        for attr in ("key", "idx", "name"):
            if hasattr(k, attr):
                parts.append(str(getattr(k, attr)))
                break
        else:
            parts.append(str(k))
    return ".".join(parts)


def _numpy_dtype(name: str, leaf_dtype: Any, dtype: Any) -> Tuple[np.dtype, str]:
    """The leaf's NumPy dtype, as JAX will hold it (float64 is float32 unless
    ``jax_enable_x64``), and nninit's name for it; an error naming the leaf
    for a dtype nninit does not generate (integers, booleans, ...)."""
    want = dtype if dtype is not None else leaf_dtype
    try:
        dt = np.dtype(want)
    except TypeError as e:
        raise NninitError(f"leaf `{name}`: dtype {want!r} is not a NumPy dtype") from e
    if dt.kind == "f":
        dt = np.dtype(_jax().dtypes.canonicalize_dtype(dt))
    if dt.name == "bfloat16":
        return dt, "bfloat16"
    if dt not in (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)):
        raise NninitError(
            f"leaf `{name}` is {dt.name}; nninit generates float32, float64, float16 and bfloat16 "
            "(pass dtype= to override the tree's dtype)"
        )
    return dt, dt.name


def _aligned_empty(shape: Tuple[int, ...], dt: np.dtype) -> np.ndarray:
    """An uninitialized array whose data starts on a 64-byte boundary: JAX's
    CPU client then takes it without a copy (``device_put(may_alias=True)``)."""
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(n * dt.itemsize + 64, dtype=np.uint8)
    off = (-raw.ctypes.data) % 64
    return raw[off:off + n * dt.itemsize].view(dt).reshape(shape)


def _block(init: Init, shape: Sequence[int], dt: np.dtype, kind: str, *, seed: int, name: str,
           offset: Optional[Sequence[int]] = None, block: Optional[Sequence[int]] = None) -> np.ndarray:
    """Elements ``offset .. offset + block`` of the leaf (the whole leaf
    without them), in the keras layout, from its stream."""
    bshape = tuple(block) if block is not None else tuple(shape)
    if kind == "bfloat16":
        buf = _aligned_empty(bshape, np.dtype(np.uint16))
        _nninit.fill(buf, init, list(shape), seed=seed, name=name, layout="keras",
                     offset=None if offset is None else list(offset), bf16_bits=True)
        return buf.view(dt)
    buf = _aligned_empty(bshape, dt)
    _nninit.fill(buf, init, list(shape), seed=seed, name=name, layout="keras",
                 offset=None if offset is None else list(offset))
    return buf


def _to_device(jax: Any, buf: np.ndarray) -> Any:
    """``buf`` as a jax.Array without a copy where JAX allows it (its CPU
    client aliases a 64-byte aligned buffer; nothing else holds ``buf``)."""
    try:
        return jax.device_put(buf, may_alias=True)
    except TypeError:  # a JAX without may_alias: a copy
        return jax.device_put(buf)


# The whole-leaf fill (tests wrap it to check that a sharded leaf never asks for one).
_whole: Callable[..., np.ndarray] = _block


def init_params(tree: Any, *, seed: int = 0, rules: Any = None, scheme: str = "flax", shardings: Any = None,
                dtype: Any = None) -> Any:
    """The same tree with every leaf initialized by nninit.

    ``tree``: a pytree of arrays or ``jax.ShapeDtypeStruct`` (e.g.
    ``jax.eval_shape(model.init, key, x)``). Each leaf's name is its path
    (:func:`leaf_name`); its initializer comes from ``rules`` (globs over
    names -> init expressions, first match wins) over ``scheme`` (``flax``:
    Flax's defaults by leaf name and rank, kernels ``[*kernel, in, out]``;
    or a stack's scheme by role). ``dtype`` overrides the leaves' dtypes.

    ``shardings``: one ``jax.sharding.Sharding`` for every leaf or a pytree
    of them matching ``tree`` (``None`` leaves unsharded): each addressable
    shard is filled directly from the leaf's stream, with the values the
    unsharded leaf has there, for any mesh. Whole-tensor initializers
    (``orthogonal``, ``delta_orthogonal``, ``sparse``) are generated whole on
    each host and sliced: same values, not the memory saving.

    Everything is planned and checked before anything is generated: a leaf
    that is not an array, an integer dtype, a leaf nothing covers, a rule
    matching nothing raise ``NninitError`` naming it."""
    jax = _jax()
    from .. import _rules

    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    rows: List[Dict[str, Any]] = []
    leaves: List[Tuple[str, Tuple[int, ...], np.dtype, str]] = []
    for path, leaf in flat:
        name = leaf_name(path)
        shape = getattr(leaf, "shape", None)
        leaf_dtype = getattr(leaf, "dtype", None)
        if shape is None or leaf_dtype is None:
            raise NninitError(f"leaf `{name}` is a {type(leaf).__name__}, not an array or jax.ShapeDtypeStruct")
        dt, kind = _numpy_dtype(name, leaf_dtype, dtype)
        leaves.append((name, tuple(int(d) for d in shape), dt, kind))
        rows.append({"name": name, "local": name.rsplit(".", 1)[-1], "shape": [int(d) for d in shape],
                     "dtype": kind, "class": "flax"})
    plan = _nninit.plan_params(rows, _rules(rules), scheme)
    if shardings is None or isinstance(shardings, jax.sharding.Sharding):
        per_leaf: List[Any] = [shardings] * len(rows)
    else:
        try:
            per_leaf = treedef.flatten_up_to(shardings)
        except (ValueError, TypeError) as e:
            raise NninitError(f"shardings= does not match the tree's structure: {e}") from e
    for (name, shape, _, _), sharding in zip(leaves, per_leaf):
        if sharding is None:
            continue
        if not isinstance(sharding, jax.sharding.Sharding):
            raise NninitError(f"leaf `{name}`: {sharding!r} is not a jax.sharding.Sharding")
        try:
            spec = getattr(sharding, "spec", None)
            if spec is not None and len(spec) > len(shape):
                raise ValueError(f"its PartitionSpec {spec} has more entries than the leaf has dimensions")
            sharding.shard_shape(shape)
        except (ValueError, TypeError, IndexError) as e:
            raise NninitError(f"leaf `{name}` of shape {shape}: its sharding does not fit: {e}") from e
    out = []
    for (name, shape, dt, kind), entry, sharding in zip(leaves, plan.entries, per_leaf):
        init = entry.init
        if sharding is None:
            # the generated buffer becomes the array's (no copy); nothing else holds it
            out.append(_to_device(jax, _whole(init, shape, dt, kind, seed=seed, name=name)))
            continue
        if not sharding.is_fully_replicated and not init.is_shardable():
            whole = _whole(init, shape, dt, kind, seed=seed, name=name)

            def from_whole(index: Any, whole: np.ndarray = whole) -> np.ndarray:
                return whole[index]

            out.append(jax.make_array_from_callback(shape, sharding, from_whole))
            continue

        cache: List[np.ndarray] = []

        def shard(index: Any, init: Init = init, shape: Tuple[int, ...] = shape, dt: np.dtype = dt,
                  kind: str = kind, name: str = name, cache: List[np.ndarray] = cache) -> np.ndarray:
            offset = [s.indices(d)[0] for s, d in zip(index, shape)]
            block = [len(range(*s.indices(d))) for s, d in zip(index, shape)]
            if block == list(shape):
                # a replica of the whole leaf: made once per host
                if not cache:
                    cache.append(_whole(init, shape, dt, kind, seed=seed, name=name))
                return cache[0]
            return _block(init, shape, dt, kind, seed=seed, name=name, offset=offset, block=block)

        out.append(jax.make_array_from_callback(shape, sharding, shard))
    return jax.tree_util.tree_unflatten(treedef, out)
