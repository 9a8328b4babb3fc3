"""The README's muP example: a coordinate check of a 4-layer MLP at widths
64 to 1024 (base 64), Adam lr 1e-2, 5 steps on a fixed batch, with
nninit.mup and with torch's default init; prints both tables and writes
docs/coord-check-mup.svg and docs/coord-check-torch.svg.

    .venv/bin/python scripts/coord_check_example.py
"""

import os

import torch
from torch import nn

import nninit


def mlp(width):
    return nn.Sequential(nn.Linear(32, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                         nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))


def main():
    g = torch.Generator().manual_seed(0)
    batch = (torch.randn(64, 32, generator=g), torch.randint(0, 10, (64,), generator=g))
    docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")
    for use_mup, name in ((True, "mup"), (False, "torch")):
        report = nninit.coord_check(mlp, [64, 128, 256, 512, 1024], batch, steps=5, lr=1e-2, mup=use_mup)
        print(f"--- mup={use_mup}")
        print(report)
        report.plot(os.path.join(docs, f"coord-check-{name}.svg"))


if __name__ == "__main__":
    main()
