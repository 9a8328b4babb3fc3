"""Drop-ins for ``jax.nn.initializers``: the same names and parameters,
returning ``init(key, shape, dtype=None, out_sharding=None)`` functions
usable wherever Flax takes an initializer. With ``rng="jax"`` (the default:
they receive a JAX key) the values equal JAX's own bit for bit; with
``rng="nninit"`` they come from nninit's own stream keyed by the key's two
words: the same distribution and f32 scale, not JAX's bits, at nninit's
speed (SIMD, every core) and in float32 or float64.

How: the key's two words go to nninit's Rust replay of ``jax.random``
(threefry2x32 in both ``jax_threefry_partitionable`` modes, read from JAX's
config at each call; ``uniform``'s mantissa construction; ``normal`` as
``sqrt(2) * erf_inv`` with XLA's f32 ``erf_inv``, its own ``log1p`` and the
multiply-adds it fuses; ``truncated_normal`` with XLA's ``erf`` bounds and
clipping) and of the initializers' f32 arithmetic (``variance_scaling``'s
fans and its 0.87962566103423978 correction), with the GIL released. Equal
on x86-64 CPUs with FMA, which is what JAX computes there.

Limits, said plainly:

- random draws are float32 or float64 (float64 with ``jax_enable_x64``, the
  default dtype then, as JAX's; its ``log`` and ``erf`` are the C library's,
  as JAX's are): 16-bit dtypes are an error (JAX rounds them after every
  operation), except for ``zeros``, ``ones`` and ``constant``;
- ``orthogonal`` and ``delta_orthogonal``: JAX factors a Gaussian matrix with
  LAPACK's QR; here the same Haar distribution comes from nninit's stream
  keyed by the JAX key: same distribution, not the same bits;
- inside ``jax.jit`` or ``jax.vmap`` (a traced key) the values come through
  ``jax.pure_callback`` (same values, computed on the host, one key at a
  time under ``vmap``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple, Union

import numpy as np

from .. import _nninit
from .._nninit import NninitError

__all__ = [
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Initializer = Callable[..., Any]
Axes = Union[int, Sequence[int]]


def _jax() -> Any:
    try:
        import jax
    except ImportError as e:  # pragma: no cover - exercised without jax installed
        raise ImportError("nninit.jax.initializers needs jax (pip install jax)") from e
    return jax


def _dtype(jax: Any, dtype: Any) -> np.dtype:
    """The dtype JAX would use: its default float without one."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64 if dtype is None else dtype))


def _key_data(jax: Any, key: Any) -> Any:
    """The key's two uint32 words (a typed threefry key or a raw uint32[2])."""
    jnp = jax.numpy
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        impl = str(jax.random.key_impl(key))
        if "threefry" not in impl:
            raise NninitError(f"key of PRNG implementation `{impl}`: nninit replays threefry2x32 (JAX's default) only")
        data = jax.random.key_data(key)
    else:
        data = key
    if tuple(data.shape) != (2,) or np.dtype(data.dtype) != np.dtype(np.uint32):
        raise NninitError(f"a JAX key is uint32[2] (or a typed key of one); got {data.dtype}{list(data.shape)} "
                          "(a batch of keys: map the initializer over them with jax.vmap)")
    return data


def _random(kind: str, params: Dict[str, Any], key: Any, shape: Sequence[int], dtype: Any,
            out_sharding: Any, rng: str) -> Any:
    jax = _jax()
    dt = _dtype(jax, dtype)
    shape = tuple(int(d) for d in shape)
    data = _key_data(jax, key)
    partitionable = bool(jax.config.jax_threefry_partitionable)

    from . import _aligned_empty, _to_device

    def host(words: Any) -> np.ndarray:
        w = np.asarray(words)
        buf = _aligned_empty(shape, dt)  # 64-byte aligned: JAX takes it without a copy
        _nninit.jax_initializer(kind, params, (int(w[0]), int(w[1])), list(shape), partitionable, rng, dt.name,
                                out=buf)
        return buf

    if isinstance(data, jax.core.Tracer):
        # bad input is refused now, while tracing, not inside the callback
        _nninit.jax_initializer(kind, params, (0, 0), list(shape), partitionable, rng, dt.name, check_only=True)
        # under jax.vmap (a batch of keys) the host is called once per key
        out = jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dt), data, vmap_method="sequential")
    else:
        out = _to_device(jax, host(data))
    if out_sharding is not None:
        out = jax.device_put(out, out_sharding)
    return out


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Axes = -2, out_axis: Axes = -1,
                     batch_axis: Axes = (), dtype: Any = None, *, rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.variance_scaling``: ``mode`` one of ``fan_in``,
    ``fan_out``, ``fan_avg``, ``fan_geo_avg``; ``distribution`` one of
    ``truncated_normal``, ``normal``, ``uniform``; ``rng`` ``"jax"`` (JAX's
    bits) or ``"nninit"`` (nninit's stream keyed by the key)."""
    params = {"scale": float(scale), "mode": mode, "distribution": distribution, "in_axis": in_axis,
              "out_axis": out_axis, "batch_axis": batch_axis}

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        return _random("variance_scaling", params, key, shape, dtype, out_sharding, rng)

    return init


def _preset(scale: float, mode: str, distribution: str) -> Callable[..., Initializer]:
    def make(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (), dtype: Any = None, *,
             rng: str = "jax") -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, rng=rng)

    make.__doc__ = (f"``variance_scaling({scale}, {mode!r}, {distribution!r}, in_axis, out_axis, batch_axis, "
                    "dtype)``, as JAX defines it (``rng``: ``\"jax\"`` or ``\"nninit\"``).")
    return make


glorot_uniform = _preset(1.0, "fan_avg", "uniform")
glorot_normal = _preset(1.0, "fan_avg", "truncated_normal")
lecun_uniform = _preset(1.0, "fan_in", "uniform")
lecun_normal = _preset(1.0, "fan_in", "truncated_normal")
he_uniform = _preset(2.0, "fan_in", "uniform")
he_normal = _preset(2.0, "fan_in", "truncated_normal")
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal
for _name in ("glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal"):
    globals()[_name].__name__ = _name
    globals()[_name].__qualname__ = _name


def normal(stddev: float = 1e-2, dtype: Any = None, *, rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.normal``: ``jax.random.normal(key) * stddev``."""
    params = {"stddev": float(stddev)}

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        return _random("normal", params, key, shape, dtype, out_sharding, rng)

    return init


def uniform(scale: float = 1e-2, dtype: Any = None, *, rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.uniform``: U(0, scale)."""
    params = {"scale": float(scale)}

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        return _random("uniform", params, key, shape, dtype, out_sharding, rng)

    return init


def truncated_normal(stddev: float = 1e-2, dtype: Any = None, lower: float = -2.0, upper: float = 2.0, *,
                     rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.truncated_normal``: ``truncated_normal(key, lower,
    upper) * stddev`` (bounds in standard units)."""
    params = {"stddev": float(stddev), "lower": float(lower), "upper": float(upper)}

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        return _random("truncated_normal", params, key, shape, dtype, out_sharding, rng)

    return init


def _moved(shape: Tuple[int, ...], column_axis: int) -> Tuple[Tuple[int, ...], int]:
    n = len(shape)
    if not -n <= column_axis < n:
        raise NninitError(f"column_axis {column_axis} is out of range for shape {list(shape)}")
    axis = column_axis % n
    return tuple(d for i, d in enumerate(shape) if i != axis) + (shape[axis],), axis


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = None, *, rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.orthogonal``: same distribution as JAX's, not the
    same bits (JAX factors with LAPACK's QR)."""
    params = {"scale": float(scale)}

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise NninitError(f"orthogonal needs at least a 2-d shape, got {list(shape)}")
        jnp = _jax().numpy
        if any(d == 0 for d in shape):
            return jnp.zeros(shape, dtype=_dtype(_jax(), dtype))
        moved, axis = _moved(shape, column_axis)
        q = _random("orthogonal", params, key, moved, dtype, None, rng)
        q = jnp.moveaxis(q, -1, axis)
        return q if out_sharding is None else _jax().device_put(q, out_sharding)

    return init


def delta_orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = None, *,
                     rng: str = "jax") -> Initializer:
    """``jax.nn.initializers.delta_orthogonal`` (3-, 4- or 5-d, ``shape[-1] >=
    shape[-2]``): an orthogonal matrix at the kernel's centre, zeros
    elsewhere; same distribution as JAX's, not the same bits."""
    params = {"scale": float(scale)}
    if column_axis != -1:
        raise NninitError("delta_orthogonal: nninit supports column_axis=-1 (JAX's default) only")

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        shape = tuple(int(d) for d in shape)
        if len(shape) not in (3, 4, 5):
            raise NninitError(f"delta_orthogonal needs a 3-d, 4-d or 5-d shape, got {list(shape)}")
        if shape[-1] < shape[-2]:
            raise NninitError(f"delta_orthogonal: fan_in {shape[-2]} must be <= fan_out {shape[-1]} "
                              f"(shape {list(shape)})")
        return _random("delta_orthogonal", params, key, shape, dtype, out_sharding, rng)

    return init


def constant(value: Any, dtype: Any = None) -> Initializer:
    """``jax.nn.initializers.constant``."""

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype, out_sharding: Any = None) -> Any:
        jax = _jax()
        out = jax.numpy.full(tuple(int(d) for d in shape), value, dtype=_dtype(jax, dtype))
        return out if out_sharding is None else jax.device_put(out, out_sharding)

    return init


def zeros(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """``jax.nn.initializers.zeros``."""
    return constant(0)(key, shape, dtype, out_sharding)


def ones(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """``jax.nn.initializers.ones``."""
    return constant(1)(key, shape, dtype, out_sharding)
