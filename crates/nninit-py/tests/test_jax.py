"""nninit.jax.init_params: a parameter tree (Dense, Conv, Embed, LayerNorm
leaves, keras layout) gets Flax's defaults by leaf name, each leaf equal to
`nninit.sample` of the same expression, shape and name; under 1-d and 2-d
meshes of 8 CPU devices (a subprocess: XLA_FLAGS must be set before jax
starts) the values equal the unsharded tree bit for bit and no sharded leaf is
ever generated whole; bad input is refused naming the leaf."""

import os
import subprocess
import sys

import nninit
import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
import nninit.jax as nj  # noqa: E402

S = jax.ShapeDtypeStruct
HERE = os.path.dirname(os.path.abspath(__file__))


def tree():
    return {"params": {
        "Dense_0": {"kernel": S((64, 32), jnp.float32), "bias": S((32,), jnp.float32)},
        "Conv_0": {"kernel": S((3, 3, 4, 8), jnp.float32), "bias": S((8,), jnp.float32)},
        "Embed_0": {"embedding": S((100, 16), jnp.float32)},
        "LayerNorm_0": {"scale": S((32,), jnp.float32), "bias": S((32,), jnp.float32)},
        "blocks": [{"kernel": S((32, 32), jnp.float64)}, {"kernel": S((32, 32), jnp.float64)}],
    }}


def test_flax_defaults_equal_nninit_sample():
    out = nj.init_params(tree(), seed=5)
    p = out["params"]
    want = {
        "params.Dense_0.kernel": ("lecun_normal", p["Dense_0"]["kernel"], "float32"),
        "params.Conv_0.kernel": ("lecun_normal", p["Conv_0"]["kernel"], "float32"),
        "params.Embed_0.embedding": ("normal(std=0.25)", p["Embed_0"]["embedding"], "float32"),
        # float64 is float32 in JAX unless jax_enable_x64: generated as JAX holds it
        "params.blocks.1.kernel": ("lecun_normal", p["blocks"][1]["kernel"],
                                   np.dtype(jax.dtypes.canonicalize_dtype(jnp.float64)).name),
    }
    for name, (expr, got, dtype) in want.items():
        assert isinstance(got, jax.Array)
        ref = nninit.sample(expr, list(got.shape), seed=5, name=name, dtype=dtype, layout="keras")
        assert np.asarray(got).tobytes() == ref.tobytes(), name
    assert not np.asarray(p["Dense_0"]["bias"]).any() and not np.asarray(p["LayerNorm_0"]["bias"]).any()
    assert (np.asarray(p["LayerNorm_0"]["scale"]) == 1).all()
    # lecun_normal over [*kernel, in, out]: std = 1/sqrt(in * 3 * 3) for the conv (n = 288, within 20%)
    assert abs(float(np.std(np.asarray(p["Conv_0"]["kernel"]))) * np.sqrt(36) - 1) < 0.2
    # the same from arrays (not ShapeDtypeStructs), and the seed matters
    again = nj.init_params(jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, jax.dtypes.canonicalize_dtype(s.dtype)),
                                                  tree()), seed=5)
    assert np.array_equal(np.asarray(again["params"]["Dense_0"]["kernel"]), np.asarray(p["Dense_0"]["kernel"]))
    other = nj.init_params(tree(), seed=6)
    assert not np.array_equal(np.asarray(other["params"]["Dense_0"]["kernel"]), np.asarray(p["Dense_0"]["kernel"]))


def test_rules_dtype_and_bfloat16():
    out = nj.init_params(tree(), seed=1, rules={"*.blocks.*.kernel": "orthogonal", "*.Dense_0.bias": "constant(val=0.1)"},
                         dtype=jnp.bfloat16)
    k = out["params"]["blocks"][0]["kernel"]
    assert k.dtype == jnp.bfloat16
    q = np.asarray(k, dtype=np.float64)
    assert np.allclose(q @ q.T, np.eye(32), atol=0.05)
    assert (np.asarray(out["params"]["Dense_0"]["bias"], dtype=np.float32) == np.float32(0.1).astype(jnp.bfloat16)).all()


def test_meshes_of_8_cpu_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, os.path.join(HERE, "_jax_mesh.py")], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1d ok" in r.stdout and "2d ok" in r.stdout


def test_bad_input_names_the_leaf():
    with pytest.raises(nninit.NninitError, match=r"params\.x.*not an array"):
        nj.init_params({"params": {"x": "hello"}})
    with pytest.raises(nninit.NninitError, match=r"params\.steps.*int32"):
        nj.init_params({"params": {"steps": S((4,), jnp.int32)}})
    with pytest.raises(nninit.NninitError, match=r"params\.Custom_0\.w"):
        nj.init_params({"params": {"Custom_0": {"w": S((4, 4), jnp.float32)}}})
    with pytest.raises(nninit.NninitError, match=r"nope\.\*"):
        nj.init_params(tree(), rules={"nope.*": "zeros"})
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("x",))
    with pytest.raises(nninit.NninitError, match=r"params\.Dense_0\.bias"):
        # a spec with more axes than the leaf has
        spec = jax.sharding.PartitionSpec("x", None)
        nj.init_params({"params": {"Dense_0": {"bias": S((8,), jnp.float32)}}},
                       shardings=jax.sharding.NamedSharding(mesh, spec))
    with pytest.raises(nninit.NninitError, match="structure"):
        nj.init_params(tree(), shardings={"params": {}})
