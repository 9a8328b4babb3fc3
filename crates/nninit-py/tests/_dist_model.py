"""The model of the sharding test: dimensions that do not divide by 2 or 4
(7, 10, 6, 5), a norm layer, and a rule with a whole-tensor initializer."""

from torch import nn

SEED = 7
RULES = [("2.weight", "orthogonal"), ("4.weight", "trunc_normal(std=0.5)")]


def build():
    return nn.Sequential(nn.Linear(7, 10), nn.ReLU(), nn.Linear(10, 6), nn.LayerNorm(6), nn.Linear(6, 5))
