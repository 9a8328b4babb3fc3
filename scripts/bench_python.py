"""nninit's Python package against torch's own initializers, same process,
same tensor, torch.set_num_threads(2): best of 5 for each, and the ratio.
Usage: python scripts/bench_python.py [log2 numel, default 28] [dtype: float32 (default) or float64]."""

import sys

import torch

import nninit
from benchutil import best


def main():
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 28
    dtype = getattr(torch, sys.argv[2]) if len(sys.argv) > 2 else torch.float32
    torch.set_num_threads(2)
    t = torch.empty(2**k, dtype=dtype)
    t.zero_()  # resident before timing
    w = t.view(2 ** (k // 2), -1)
    rows = [
        ("normal_", lambda: t.normal_(), lambda: nninit.normal_(t, seed=1)),
        ("uniform_", lambda: t.uniform_(), lambda: nninit.uniform_(t, seed=1)),
        ("kaiming_uniform_", lambda: torch.nn.init.kaiming_uniform_(w, a=5 ** 0.5),
         lambda: nninit.kaiming_uniform_(w, a=5 ** 0.5, seed=1)),
        ("kaiming_normal_", lambda: torch.nn.init.kaiming_normal_(w), lambda: nninit.kaiming_normal_(w, seed=1)),
        ("trunc_normal_", lambda: torch.nn.init.trunc_normal_(t), lambda: nninit.trunc_normal_(t, seed=1)),
    ]
    base = best(lambda: t.fill_(0.5))
    print(f"2^{k} {str(dtype).replace('torch.', '')} ({t.element_size() * 2**k / 2**30:.2f} GiB), "
          f"torch threads {torch.get_num_threads()}; "
          f"plain fill_: {base * 1e3:.0f} ms")
    print(f"{'function':<18} {'torch ms':>9} {'nninit ms':>10} {'speed-up':>9}")
    for name, theirs, ours in rows:
        a, b = best(theirs), best(ours)
        print(f"{name:<18} {a * 1e3:9.0f} {b * 1e3:10.0f} {a / b:8.1f}x")


if __name__ == "__main__":
    main()
