"""Shared by the bench_*.py scripts: the best of several timed runs."""

import time


def best(f, reps=5, warm=True):
    """The shortest wall time of `reps` calls of `f` (after one untimed call when `warm`)."""
    if warm:
        f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts)
