"""What nninit.probe costs against one plain forward+backward of the same
model (the issue's 16-layer CNN, batch 64, 32x32 inputs), same process,
best of 5 each. Usage: .venv/bin/python scripts/bench_probe.py"""

import torch
from torch import nn

import nninit
from benchutil import best


def main():
    torch.manual_seed(0)
    layers = [nn.Conv2d(3, 32, 3, padding=1), nn.ReLU()]
    for _ in range(15):
        layers += [nn.Conv2d(32, 32, 3, padding=1), nn.ReLU()]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    x, y = torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,))

    def plain():
        nn.functional.cross_entropy(model(x), y).backward()
        model.zero_grad(set_to_none=True)

    a = best(plain)
    b = best(lambda: nninit.probe(model, x, y))
    print(f"16 x Conv2d(32, 3x3) + ReLU, batch 64, 32x32, {torch.get_num_threads()} threads")
    print(f"plain forward+backward {a * 1e3:.0f} ms, nninit.probe {b * 1e3:.0f} ms: {b / a:.2f}x")


if __name__ == "__main__":
    main()
