"""The Rust framework adapters against the Python package: the `reference`
example of nninit-candle and of nninit-burn (Embedding(100, 32), Linear(32,
64), Conv2d(4 -> 8, kernel 3, groups 2), LayerNorm(64), Linear(64, 10),
default policy/scheme, saved under PyTorch's names and layout) writes, for any
seed and RAYON_NUM_THREADS, exactly `nninit.init_module` of the same-named
PyTorch model. scripts/test.sh builds the examples and sets
NNINIT_CANDLE_REFERENCE and NNINIT_BURN_REFERENCE to them."""

import os
import subprocess

import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

import nninit  # noqa: E402
from torch import nn  # noqa: E402

CANDLE = os.environ.get("NNINIT_CANDLE_REFERENCE")
BURN = os.environ.get("NNINIT_BURN_REFERENCE")
ADAPTERS = [
    pytest.param(CANDLE, id="candle", marks=pytest.mark.skipif(
        not CANDLE, reason="NNINIT_CANDLE_REFERENCE is not set (scripts/test.sh builds the example and sets it)")),
    pytest.param(BURN, id="burn", marks=pytest.mark.skipif(
        not BURN, reason="NNINIT_BURN_REFERENCE is not set (scripts/test.sh builds the example and sets it)")),
]


class Reference(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 32)
        self.fc1 = nn.Linear(32, 64)
        self.conv = nn.Conv2d(4, 8, 3, groups=2)
        self.ln = nn.LayerNorm(64)
        self.head = nn.Linear(64, 10)


@pytest.mark.parametrize("exe", ADAPTERS)
@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_reference_equals_init_module(tmp_path, exe, seed, threads):
    out = tmp_path / "reference.safetensors"
    r = subprocess.run([exe, str(seed), str(out)], env=dict(os.environ, RAYON_NUM_THREADS=threads),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = safetensors_torch.load_file(str(out))
    want = nninit.init_module(Reference(), seed=seed).state_dict()
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k].dtype == torch.float32 and got[k].shape == v.shape, k
        assert torch.equal(got[k].view(torch.int32), v.view(torch.int32)), f"{k} differs (seed {seed}, {threads} threads)"


@pytest.mark.parametrize("exe", ADAPTERS)
def test_reference_bad_arguments(tmp_path, exe):
    r = subprocess.run([exe, "-1", str(tmp_path / "x.safetensors")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "SEED `-1`" in r.stderr
    r = subprocess.run([exe, "1", str(tmp_path / "no" / "dir" / "x.safetensors")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "error" in r.stderr and not (tmp_path / "no").exists()
