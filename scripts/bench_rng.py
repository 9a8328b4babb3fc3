"""The frameworks' own streams (nninit's rng="numpy"/"numpy-default"/"torch"/"jax") against
NumPy, PyTorch and JAX themselves, one thread, same process: 2^24 values, best of 3.
The nninit side includes its Python call and the generator's seeding; JAX's side is a
jax.jit-compiled call (compiled before timing) on XLA's CPU client limited to one thread.
Usage: .venv/bin/python scripts/bench_rng.py"""

import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np
import torch

import nninit
from benchutil import best


def main():
    torch.set_num_threads(1)
    n = 2**24
    t32, t64, a64, a32 = torch.empty(n), torch.empty(n, dtype=torch.float64), np.empty(n), np.empty(n, np.float32)
    rows = [
        ("torch normal_ f32", lambda: (torch.manual_seed(0), t32.normal_()), lambda: nninit.fill_(t32, "normal", rng="torch")),
        ("torch uniform_ f32", lambda: (torch.manual_seed(0), t32.uniform_()), lambda: nninit.fill_(t32, "uniform", rng="torch")),
        ("torch normal_ f64", lambda: (torch.manual_seed(0), t64.normal_()), lambda: nninit.fill_(t64, "normal", rng="torch")),
        ("np.random.randn", lambda: (np.random.seed(0), np.random.randn(n)), lambda: nninit.fill_(a64, "normal", rng="numpy")),
        ("np.random.uniform", lambda: (np.random.seed(0), np.random.uniform(size=n)), lambda: nninit.fill_(a64, "uniform", rng="numpy")),
        ("default_rng normal", lambda: np.random.default_rng(0).standard_normal(out=a64),
         lambda: nninit.fill_(a64, "normal", rng="numpy-default")),
        ("default_rng normal32", lambda: np.random.default_rng(0).standard_normal(dtype=np.float32, out=a32),
         lambda: nninit.fill_(a32, "normal", rng="numpy-default")),
        ("default_rng random", lambda: np.random.default_rng(0).random(out=a64),
         lambda: nninit.fill_(a64, "uniform(a=0, b=1)", rng="numpy-default")),
    ]
    key = jax.random.key(0)
    jnormal = jax.jit(lambda k: jax.random.normal(k, (n,), jnp.float32))
    jtrunc = jax.jit(lambda k: jax.random.truncated_normal(k, -2.0, 2.0, (n,), jnp.float32))
    juniform = jax.jit(lambda k: jax.random.uniform(k, (n,), jnp.float32))
    for f in (jnormal, jtrunc, juniform):
        f(key).block_until_ready()
    rows += [
        ("jax.random.normal", lambda: jnormal(key).block_until_ready(), lambda: nninit.fill_(a32, "normal", rng="jax")),
        ("jax truncated_normal", lambda: jtrunc(key).block_until_ready(),
         lambda: nninit.fill_(a32, "trunc_normal(mean=0, std=1, a=-2, b=2)", rng="jax")),
        ("jax.random.uniform", lambda: juniform(key).block_until_ready(),
         lambda: nninit.fill_(a32, "uniform(a=0, b=1)", rng="jax")),
    ]
    print(f"2^24 values, one thread (torch.set_num_threads(1)); {torch.backends.cpu.get_cpu_capability()} kernels")
    print(f"{'op':<20} {'framework ms':>13} {'nninit ms':>10} {'speed-up':>9}")
    for name, theirs, ours in rows:
        a, b = best(theirs, reps=3), best(ours, reps=3)
        print(f"{name:<20} {a * 1e3:13.1f} {b * 1e3:10.1f} {a / b:8.2f}x")


if __name__ == "__main__":
    main()
