"""rng="jax" and nninit.jax.initializers against JAX's own output on this
CPU, bit for bit (0 ulp), in both jax_threefry_partitionable modes, float32
and (with jax_enable_x64) float64: keys for
several seeds with x64 off and on, uniform with bounds over 1-d, odd and 3-d
shapes, 2^20 normals, truncated normals on (-2, 2) and asymmetric bounds,
variance_scaling across modes, distributions and in/out/batch axes, the
presets and the other drop-ins (eager and under jax.jit), per-tensor keys
(fold_in by position) and the CLI's --rng jax. The sample sizes are stated in
each test; every comparison is exact."""

import subprocess

import nninit
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
import nninit.jax.initializers as ji  # noqa: E402

SEEDS = [0, 42, 2**31 - 1, -1, 2**32 + 5]


@pytest.fixture(params=[True, False], ids=["partitionable", "original"])
def mode(request):
    old = jax.config.jax_threefry_partitionable
    jax.config.update("jax_threefry_partitionable", request.param)
    yield request.param
    jax.config.update("jax_threefry_partitionable", old)


@pytest.fixture
def x64():
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    diff = int(np.sum(a.view(np.uint32) != b.view(np.uint32)))
    assert diff == 0, f"{diff} of {a.size} values differ"


@pytest.mark.parametrize("seed", SEEDS)
def test_keys_by_seed(mode, seed):
    # 4097 normals per seed: the key must be jax.random.key(seed)'s
    want = jax.random.normal(jax.random.key(seed), (4097,), jnp.float32)
    same(nninit.sample("normal", [4097], seed=seed, rng="jax"), want)


@pytest.mark.parametrize("seed", [42, -1, 2**32 + 5, -(2**63), 2**63 - 1])
def test_keys_with_x64(mode, x64, seed):
    want = jax.random.normal(jax.random.key(seed), (1000,), jnp.float32)
    same(nninit.sample("normal", [1000], seed=seed, rng="jax"), want)


def test_two_million_normals(mode):
    n = 1 << 20
    for seed in (0, 7):
        same(nninit.sample("normal", [n], seed=seed, rng="jax"), jax.random.normal(jax.random.key(seed), (n,)))


@pytest.mark.parametrize("shape", [[1], [7], [3, 5, 7], [1023]])
def test_uniform_bounds_and_shapes(mode, shape):
    k = jax.random.key(3)
    same(nninit.sample("uniform(a=-2, b=3)", shape, seed=3, rng="jax"),
         jax.random.uniform(k, tuple(shape), minval=-2, maxval=3))
    same(nninit.sample("uniform(a=0, b=1)", shape, seed=3, rng="jax"), jax.random.uniform(k, tuple(shape)))


@pytest.mark.parametrize("lo,hi", [(-2.0, 2.0), (-0.5, 3.0), (1.0, 1.5), (-3.0, -2.9)])
def test_truncated_normal(mode, lo, hi):
    # 2^16 draws; (1, 1.5) is where JAX's runtime f32 erf of the bounds
    # differs from a correctly rounded one
    n = 1 << 16
    want = jax.random.truncated_normal(jax.random.key(11), lo, hi, (n,))
    same(nninit.sample(f"trunc_normal(mean=0, std=1, a={lo}, b={hi})", [n], seed=11, rng="jax"), want)


def test_scaled_normals_are_jax_ops_in_order(mode):
    k = jax.random.key(5)
    want = jax.random.normal(k, (999,)) * jnp.float32(0.02) + jnp.float32(0.5)
    same(nninit.sample("normal(mean=0.5, std=0.02)", [999], seed=5, rng="jax"), want)
    want = jax.random.truncated_normal(k, (-1 - 0.5) / 2, (3 - 0.5) / 2, (999,)) * jnp.float32(2) + jnp.float32(0.5)
    same(nninit.sample("trunc_normal(mean=0.5, std=2, a=-1, b=3)", [999], seed=5, rng="jax"), want)


AXES = [((64, 32), -2, -1, ()), ((3, 3, 16, 8), -2, -1, ()), ((5, 4, 6), 0, (1, 2), ()),
        ((2, 7, 9), -2, -1, 0), ((4, 6, 10), (0, 1), -1, ())]


@pytest.mark.parametrize("mode_", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("dist", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling(mode, mode_, dist):
    k = jax.random.key(1)
    for shape, ia, oa, ba in AXES:
        got = ji.variance_scaling(1.3, mode_, dist, ia, oa, ba)(k, shape)
        want = jax.nn.initializers.variance_scaling(1.3, mode_, dist, ia, oa, ba)(k, shape)
        same(got, want)


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal", "he_uniform",
                                  "he_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                                  "kaiming_normal"])
def test_presets(mode, name):
    k = jax.random.key(2)
    for shape in [(33, 17), (3, 3, 8, 16)]:
        same(getattr(ji, name)()(k, shape), getattr(jax.nn.initializers, name)()(k, shape))


def test_simple_initializers(mode):
    k = jax.random.key(9)
    for name, args, kw in [("normal", (), {}), ("normal", (0.02,), {}), ("uniform", (0.5,), {}),
                           ("truncated_normal", (0.02,), {}),
                           ("truncated_normal", (0.3,), {"lower": -0.7, "upper": 2.5})]:
        same(getattr(ji, name)(*args, **kw)(k, (33, 17)), getattr(jax.nn.initializers, name)(*args, **kw)(k, (33, 17)))
    raw = jax.random.PRNGKey(9)  # a raw uint32[2] key works as well
    same(ji.lecun_normal()(raw, (8, 8)), jax.nn.initializers.lecun_normal()(raw, (8, 8)))
    for name in ("zeros", "ones"):
        got, want = getattr(ji, name)(k, (3, 4), jnp.float32), getattr(jax.nn.initializers, name)(k, (3, 4), jnp.float32)
        assert np.array_equal(got, want) and got.dtype == want.dtype
    assert np.array_equal(ji.constant(0.25)(k, (5,)), jax.nn.initializers.constant(0.25)(k, (5,)))


def test_under_jit_equals_eager(mode):
    k = jax.random.key(4)
    eager = ji.he_normal()(k, (16, 8))
    same(jax.jit(lambda kk: ji.he_normal()(kk, (16, 8)))(k), eager)
    same(eager, jax.nn.initializers.he_normal()(k, (16, 8)))


def test_under_vmap(mode):
    # a batch of 5 keys (as Flax's nn.vmap / scan over layers make)
    keys = jax.random.split(jax.random.key(6), 5)
    same(jax.vmap(lambda kk: ji.lecun_normal()(kk, (8, 4)))(keys),
         jax.vmap(lambda kk: jax.nn.initializers.lecun_normal()(kk, (8, 4)))(keys))
    same(jax.jit(jax.vmap(lambda kk: ji.normal(0.1)(kk, (7,))))(keys),
         jax.vmap(lambda kk: jax.nn.initializers.normal(0.1)(kk, (7,)))(keys))


def test_orthogonal_same_distribution():
    # not JAX's bits (LAPACK's QR): orthonormal columns and the scale
    k = jax.random.key(0)
    q = np.asarray(ji.orthogonal(2.0)(k, (32, 16)), dtype=np.float64)
    assert np.allclose(q.T @ q, 4.0 * np.eye(16), atol=1e-4)
    q = np.asarray(ji.orthogonal(column_axis=0)(k, (8, 20)), dtype=np.float64)
    assert np.allclose(q @ q.T, np.eye(8), atol=1e-5)
    d = np.asarray(ji.delta_orthogonal()(k, (3, 3, 4, 4)), dtype=np.float64)
    assert np.allclose(d[1, 1].T @ d[1, 1], np.eye(4), atol=1e-5)
    assert np.count_nonzero(d) == np.count_nonzero(d[1, 1])


def test_per_tensor_keys_fold_in_by_position(mode):
    g = nninit.Generator("jax", 13)
    key = jax.random.key(13)
    for i, shape in enumerate([[4, 3], [7], [2, 2, 2]]):
        got = nninit.sample("normal", shape, rng=g)
        same(got, jax.random.normal(jax.random.fold_in(key, i), tuple(shape)))


def test_cli_sample_and_init(cli, tmp_path, mode):
    env_mode = "1" if mode else "0"
    import os
    env = {**os.environ, "JAX_THREEFRY_PARTITIONABLE": env_mode}
    out = tmp_path / "w.npy"
    subprocess.run([cli, "sample", "normal(std=0.02)", "--shape", "5,7", "--seed", "42", "--rng", "jax",
                    "--out", str(out)], check=True, env=env)
    same(np.load(out), jax.random.normal(jax.random.key(42), (5, 7)) * jnp.float32(0.02))
    out = tmp_path / "m.safetensors"
    subprocess.run([cli, "init", "--layers", "6,5,3", "--init", "normal(std=0.1)", "--bias", "uniform(a=-1, b=1)",
                    "--seed", "8", "--rng", "jax", "--out", str(out)], check=True, env=env)
    from safetensors.numpy import load_file
    t = load_file(str(out))
    key = jax.random.key(8)
    names = list(t)  # file order is draw order only if the writer keeps it; check by the plan instead
    order = subprocess.run([cli, "plan", "--layers", "6,5,3", "--init", "normal(std=0.1)", "--bias",
                            "uniform(a=-1, b=1)", "--json"], check=True, capture_output=True, text=True).stdout
    import json
    planned = [e["name"] for e in json.loads(order)["entries"]]
    assert sorted(planned) == sorted(names)
    for i, name in enumerate(planned):
        k = jax.random.fold_in(key, i)
        shape = t[name].shape
        if name.startswith("w") or name.endswith("weight"):
            want = jax.random.normal(k, shape) * jnp.float32(0.1)
        else:
            want = jax.random.uniform(k, shape, minval=-1, maxval=1)
        same(t[name], want)


def test_bad_input(cli, tmp_path):
    k = jax.random.key(0)
    with pytest.raises(nninit.NninitError, match="float32"):
        nninit.sample("normal", [4], dtype="float16", rng="jax")
    with pytest.raises(nninit.NninitError, match="float32"):
        ji.normal()(k, (4,), jnp.float16)
    with pytest.raises(nninit.NninitError, match="fan_sideways"):
        ji.variance_scaling(1.0, "fan_sideways", "normal")(k, (4, 4))
    with pytest.raises(nninit.NninitError, match="in_axis"):
        ji.lecun_normal()(k, (4,))
    with pytest.raises(nninit.NninitError, match="threefry"):
        ji.normal()(jax.random.key(0, impl="rbg"), (4,))
    with pytest.raises(nninit.NninitError, match=r"-2\^63, 2\^63"):
        nninit.sample("normal", [4], seed=2**63, rng="jax")
    with pytest.raises(nninit.NninitError, match="orthogonal"):
        nninit.sample("orthogonal", [4, 4], rng="jax")
    r = subprocess.run([cli, "sample", "normal", "--shape", "3", "--rng", "jax", "--seed", str(2**63),
                        "--out", str(tmp_path / "x.npy")], capture_output=True, text=True)
    assert r.returncode == 2 and "jax.random.key's range" in r.stderr
    assert not (tmp_path / "x.npy").exists()


# ---------------------------------------------------------------- rng="nninit"


def test_nninit_stream_drop_ins_have_jax_scales():
    # nninit's stream keyed by the JAX key: JAX's distribution and f32 scale,
    # not its bits. 2^18 draws each; the std within 1% (its sampling error is
    # about 0.14% at this size), truncation at exactly 2 std (pre-correction).
    k = jax.random.key(21)
    shape = (512, 512)
    n = 512 * 512
    for name, want in [("he_normal", (2 / 512) ** 0.5), ("lecun_normal", (1 / 512) ** 0.5),
                       ("glorot_uniform", (1 / 512) ** 0.5), ("he_uniform", (2 / 512) ** 0.5)]:
        w = np.asarray(getattr(ji, name)(rng="nninit")(k, shape), dtype=np.float64)
        assert w.size == n and abs(w.std() / want - 1) < 0.01, (name, w.std(), want)
        assert abs(w.mean()) < 5 * want / n ** 0.5
    t = np.asarray(ji.lecun_normal(rng="nninit")(k, shape))
    bound = 2 * np.float32(np.sqrt(np.float32(1 / 512))) / np.float32(0.87962566103423978)
    assert np.abs(t).max() <= bound
    u = np.asarray(ji.glorot_uniform(rng="nninit")(k, shape))
    assert np.abs(u).max() <= np.sqrt(np.float32(3) * np.float32(1 / 512))
    # deterministic per key, different across keys, never JAX's bits
    again = np.asarray(ji.lecun_normal(rng="nninit")(k, shape))
    assert again.tobytes() == t.tobytes()
    other = np.asarray(ji.lecun_normal(rng="nninit")(jax.random.key(22), shape))
    assert np.mean(other == t) < 0.01
    assert np.mean(np.asarray(ji.lecun_normal()(k, shape)) == t) < 0.01


def test_nninit_stream_float64_and_jit(x64):
    k = jax.random.key(3)
    w = ji.normal(0.5, rng="nninit")(k, (1000,), jnp.float64)
    assert w.dtype == jnp.float64
    assert np.asarray(jax.jit(lambda kk: ji.normal(0.5, rng="nninit")(kk, (1000,), jnp.float64))(k)).tobytes() \
        == np.asarray(w).tobytes()
    with pytest.raises(nninit.NninitError, match="float32"):
        ji.normal(0.5)(k, (10,), jnp.bfloat16)  # rng="jax": float32 and float64 only
    with pytest.raises(nninit.NninitError, match="mersenne"):
        ji.normal(rng="mersenne")(k, (10,))
    with pytest.raises(nninit.NninitError, match="in_axis"):
        jax.jit(lambda kk: ji.lecun_normal()(kk, (64,), jnp.float32))(k)  # refused while tracing


# ---------------------------------------------------------------- threefry primitives, live


def words(key):
    return tuple(int(w) for w in np.asarray(jax.random.key_data(key)))


@pytest.mark.parametrize("seed", SEEDS + [2**63 - 1, -(2**63)])
def test_threefry_keys(seed):
    from nninit import _nninit
    for x64 in (False, True):
        old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", x64)
        try:
            assert tuple(_nninit.jax_threefry("key", True, seed, x64)) == words(jax.random.key(seed))
        finally:
            jax.config.update("jax_enable_x64", old)


def test_threefry_split_fold_in_bits(mode):
    from nninit import _nninit
    key = jax.random.key(42)
    k = words(key)
    got = [tuple(w) for w in _nninit.jax_threefry("split", mode, k, 5)]
    assert got == [words(s) for s in jax.random.split(key, 5)]
    for d in (0, 1, 7, 2**32 - 1):
        assert tuple(_nninit.jax_threefry("fold_in", mode, k, d)) == words(jax.random.fold_in(key, d))
    for shape in [(1,), (7,), (1001,), (3, 5, 7), (2, 3, 4, 5)]:
        want = np.asarray(jax.random.bits(key, shape, jnp.uint32)).ravel()
        got = _nninit.jax_threefry("bits32", mode, k, int(np.prod(shape)))
        assert np.array_equal(got, want), shape


def test_threefry_bits64_with_x64(mode, x64):
    from nninit import _nninit
    key = jax.random.key(2**32 + 5)
    for shape in [(1,), (9,), (3, 5, 7)]:
        want = np.asarray(jax.random.bits(key, shape, jnp.uint64)).ravel()
        got = _nninit.jax_threefry("bits64", mode, words(key), int(np.prod(shape)))
        assert np.array_equal(got, want), shape


# ---------------------------------------------------------------- float64 (jax_enable_x64)


def same64(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype == np.float64
    diff = int(np.sum(a.view(np.uint64) != b.view(np.uint64)))
    assert diff == 0, f"{diff} of {a.size} values differ"


def test_float64_draws(mode, x64):
    # 2^18 normals; uniform with bounds; 2^16 truncated normals per bounds
    k = jax.random.key(42)
    n = 1 << 18
    same64(nninit.sample("normal", [n], seed=42, dtype="float64", rng="jax"), jax.random.normal(k, (n,), jnp.float64))
    same64(nninit.sample("uniform(a=-2, b=3)", [3, 5, 7], seed=42, dtype="float64", rng="jax"),
           jax.random.uniform(k, (3, 5, 7), jnp.float64, -2, 3))
    for lo, hi in [(-2.0, 2.0), (1.0, 1.5), (-0.5, 3.0), (-3.0, -2.9)]:
        same64(nninit.sample(f"trunc_normal(mean=0, std=1, a={lo}, b={hi})", [1 << 16], seed=42, dtype="float64",
                             rng="jax"),
               jax.random.truncated_normal(k, lo, hi, (1 << 16,), jnp.float64))
    want = jax.random.normal(k, (999,), jnp.float64) * 0.02 + 0.5
    same64(nninit.sample("normal(mean=0.5, std=0.02)", [999], seed=42, dtype="float64", rng="jax"), want)


@pytest.mark.parametrize("dist", ["truncated_normal", "normal", "uniform"])
def test_float64_variance_scaling(mode, x64, dist):
    # the drop-ins' default dtype is float64 under x64, as JAX's
    k = jax.random.key(1)
    for mode_ in ("fan_in", "fan_out", "fan_avg", "fan_geo_avg"):
        for shape, ia, oa, ba in AXES:
            same64(ji.variance_scaling(1.3, mode_, dist, ia, oa, ba)(k, shape),
                   jax.nn.initializers.variance_scaling(1.3, mode_, dist, ia, oa, ba)(k, shape))
    for name in ("he_normal", "glorot_uniform", "lecun_normal"):
        same64(getattr(ji, name)()(k, (33, 17)), getattr(jax.nn.initializers, name)()(k, (33, 17)))
    same64(ji.truncated_normal(0.3, lower=-0.7, upper=2.5)(k, (999,)),
           jax.nn.initializers.truncated_normal(0.3, lower=-0.7, upper=2.5)(k, (999,)))


def test_float64_cli(cli, tmp_path, mode):
    import os
    env = {**os.environ, "JAX_ENABLE_X64": "1", "JAX_THREEFRY_PARTITIONABLE": "1" if mode else "0"}
    out = tmp_path / "w.npy"
    subprocess.run([cli, "sample", "normal", "--shape", "5,7", "--seed", str(2**40 + 3), "--rng", "jax", "--dtype", "f64",
                    "--out", str(out)], check=True, env=env)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        same64(np.load(out), jax.random.normal(jax.random.key(2**40 + 3), (5, 7), jnp.float64))
    finally:
        jax.config.update("jax_enable_x64", old)
