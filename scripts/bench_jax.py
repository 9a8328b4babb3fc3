"""nninit.jax.init_params against jax.jit of the equivalent jax.nn.initializers
calls, same process, same CPU, after compilation, best of 3: a tree of N_LAYERS
Dense kernels [8192, 8192] (lecun_normal) with zero biases, 1.07 B parameters
by default (f32, 4.3 GB per tree); then one kernel through the
nninit.jax.initializers drop-ins (rng="jax" and rng="nninit").
Usage: .venv/bin/python scripts/bench_jax.py [N_LAYERS]"""

import sys
import time

import jax
import jax.numpy as jnp

import nninit.jax as nj
import nninit.jax.initializers as ji


def best(f, reps=3):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        jax.block_until_ready(out)
        t = min(t, time.perf_counter() - t0)
        del out
    return t


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    d = 8192
    shapes = {f"Dense_{i}": {"kernel": jax.ShapeDtypeStruct((d, d), jnp.float32),
                             "bias": jax.ShapeDtypeStruct((d,), jnp.float32)} for i in range(n)}
    tree = {"params": shapes}
    params = n * (d * d + d)

    lecun = jax.nn.initializers.lecun_normal()

    @jax.jit
    def jax_init(key):
        keys = jax.random.split(key, n)
        return {"params": {f"Dense_{i}": {"kernel": lecun(keys[i], (d, d), jnp.float32),
                                          "bias": jnp.zeros((d,), jnp.float32)} for i in range(n)}}

    key = jax.random.key(0)
    jax.block_until_ready(jax_init(key))  # compile
    t_jax = best(lambda: jax_init(key))
    t_nninit = best(lambda: nj.init_params(tree, seed=0))
    print(f"{params / 1e9:.2f} B parameters (f32), {jax.device_count()} CPU device, best of 3")
    print(f"jax.jit(jax.nn.initializers):   {t_jax:.2f} s")
    print(f"nninit.jax.init_params:         {t_nninit:.2f} s  ({t_jax / t_nninit:.1f}x faster)")

    # one 8192 x 8192 kernel through the drop-ins, against jax.jit of JAX's own initializer
    one = jax.jit(lambda k: lecun(k, (d, d), jnp.float32))
    jax.block_until_ready(one(key))
    t_one = best(lambda: one(key))
    t_jax_rng = best(lambda: ji.lecun_normal()(key, (d, d)))
    t_nninit_rng = best(lambda: ji.lecun_normal(rng="nninit")(key, (d, d)))
    print(f"one kernel {d} x {d}: jax.jit(lecun_normal) {t_one:.3f} s; nninit.jax.initializers.lecun_normal: "
          f"rng='jax' (JAX's bits) {t_jax_rng:.3f} s ({t_one / t_jax_rng:.1f}x), "
          f"rng='nninit' {t_nninit_rng:.3f} s ({t_one / t_nninit_rng:.1f}x)")


if __name__ == "__main__":
    main()
