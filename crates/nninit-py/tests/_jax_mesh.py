"""Run by test_jax.py in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=8 (it must be set before jax
starts): init_params under 1-d and 2-d meshes of 8 CPU devices equals the
unsharded tree bit for bit, and no sharded leaf ever asks for a whole tensor."""

import sys

import jax
import jax.numpy as jnp
import nninit.jax as nj
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

assert len(jax.devices()) == 8, jax.devices()

S = jax.ShapeDtypeStruct
tree = {
    "params": {
        "Dense_0": {"kernel": S((64, 48), jnp.float32), "bias": S((48,), jnp.float32)},
        "Conv_0": {"kernel": S((3, 3, 8, 16), jnp.float32), "bias": S((16,), jnp.float32)},
        "Embed_0": {"embedding": S((96, 24), jnp.bfloat16)},
        "LayerNorm_0": {"scale": S((48,), jnp.float32), "bias": S((48,), jnp.float32)},
        # a 6 and a 3 (unsharded or over 2): JAX refuses uneven NamedShardings
        "Odd_0": {"kernel": S((16, 6), jnp.float32), "bias": S((3,), jnp.float32)},
        "Orth_0": {"kernel": S((16, 16), jnp.float32)},
    }
}
rules = {"params.Orth_0.kernel": "orthogonal"}
whole = nj.init_params(tree, seed=11, rules=rules)

calls = []
real = nj._whole


def spy(init, shape, *a, name, **k):
    calls.append((name, tuple(shape)))
    return real(init, shape, *a, name=name, **k)


nj._whole = spy


def specs(kind):
    # kind "1d": a mesh ("x",) of 8; "2d": ("x", "y") of 4 x 2
    if kind == "1d":
        return {"params": {
            "Dense_0": {"kernel": P("x", None), "bias": P("x")},
            "Conv_0": {"kernel": P(None, None, None, "x"), "bias": P()},
            "Embed_0": {"embedding": P("x", None)},
            "LayerNorm_0": {"scale": P("x"), "bias": P()},
            "Odd_0": {"kernel": P("x", None), "bias": P()},
            "Orth_0": {"kernel": P("x", None)},
        }}
    return {"params": {
        "Dense_0": {"kernel": P("x", "y"), "bias": P("y")},
        "Conv_0": {"kernel": P(None, None, "x", "y"), "bias": P("x")},
        "Embed_0": {"embedding": P("y", "x")},
        "LayerNorm_0": {"scale": P("x"), "bias": P(("x", "y"))},
        "Odd_0": {"kernel": P("x", "y"), "bias": P()},
        "Orth_0": {"kernel": P("y", "x")},
    }}


for kind, mesh in [("1d", Mesh(np.array(jax.devices()), ("x",))),
                   ("2d", Mesh(np.array(jax.devices()).reshape(4, 2), ("x", "y")))]:
    shardings = jax.tree_util.tree_map(lambda p, mesh=mesh: NamedSharding(mesh, p), specs(kind),
                                       is_leaf=lambda x: isinstance(x, P))
    calls.clear()
    sharded_leaves = set()
    got = nj.init_params(tree, seed=11, rules=rules, shardings=shardings)
    for (path, a), (_, b) in zip(jax.tree_util.tree_flatten_with_path(got)[0],
                                 jax.tree_util.tree_flatten_with_path(whole)[0]):
        name = nj.leaf_name(path)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (kind, name)
        if not a.sharding.is_fully_replicated:
            sharded_leaves.add(name)
    asked = {n for n, _ in calls}
    # only replicated leaves and the whole-tensor initializer (orthogonal) are made whole
    bad = {n for n in asked & sharded_leaves if n != "params.Orth_0.kernel"}
    assert not bad, (kind, bad)
    assert "params.Orth_0.kernel" in asked, kind
    print(kind, "ok", sorted(sharded_leaves))

sys.exit(0)
