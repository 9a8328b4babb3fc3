"""rng="numpy-default" (and --rng numpy-default) against NumPy's own
``np.random.default_rng`` (PCG64 + SeedSequence), bit for bit: 10^6 draws of
``random`` and ``standard_normal`` in float64 and float32 for each seed,
``normal(loc, scale)`` and ``uniform(low, high)``, and interleaved odd-length
float32 and float64 calls on one Generator (NumPy keeps the high half of a
64-bit draw for the next 32-bit call)."""

import subprocess

import nninit
import numpy as np
import pytest

N = 1_000_000
SEEDS = [0, 42, 2**32, 2**64 + 1, [1, 2, 3]]


def ids(seed):
    return "list" if isinstance(seed, list) else str(seed)


@pytest.mark.parametrize("seed", SEEDS, ids=ids)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_random_and_standard_normal(seed, dtype):
    want = np.random.default_rng(seed).random(N, dtype=dtype)
    got = nninit.sample("uniform(a=0, b=1)", [N], seed=seed, dtype=dtype, rng="numpy-default")
    assert got.dtype == np.dtype(dtype)
    assert got.tobytes() == want.tobytes()
    want = np.random.default_rng(seed).standard_normal(N, dtype=dtype)
    got = nninit.sample("normal", [N], seed=seed, dtype=dtype, rng="numpy-default")
    assert got.tobytes() == want.tobytes(), f"{np.count_nonzero(got != want)} of {N} differ"


@pytest.mark.parametrize("seed", [0, 7, 2**63 + 5])
def test_normal_and_uniform_in_float64(seed):
    want = np.random.default_rng(seed).normal(0.5, 0.02, (300, 77))
    got = nninit.sample("normal(mean=0.5, std=0.02)", [300, 77], seed=seed, dtype="float64", rng="numpy-default")
    assert got.tobytes() == want.tobytes()
    want = np.random.default_rng(seed).uniform(-0.3, 0.7, 12345)
    got = nninit.sample("uniform(a=-0.3, b=0.7)", [12345], seed=seed, dtype="float64", rng="numpy-default")
    assert got.tobytes() == want.tobytes()
    # float32 outside N(0, 1) / U(0, 1): NumPy's float64 call, rounded
    want = np.random.default_rng(seed).normal(0.0, 0.02, 999).astype(np.float32)
    got = nninit.sample("normal(std=0.02)", [999], seed=seed, dtype="float32", rng="numpy-default")
    assert got.tobytes() == want.tobytes()


def test_interleaved_calls_on_one_generator():
    rng = np.random.default_rng(12345)
    g = nninit.Generator("numpy-default", 12345)
    plan = [("normal", "float32", 7), ("normal", "float64", 5), ("uniform(a=0, b=1)", "float32", 3),
            ("uniform(a=0, b=1)", "float64", 1), ("normal", "float32", 1001), ("normal(mean=1, std=2)", "float64", 9),
            ("uniform(a=0, b=1)", "float32", 1), ("normal", "float64", 2**16 + 1)]
    for expr, dtype, n in plan:
        got = nninit.sample(expr, [n], dtype=dtype, rng=g)
        if expr == "normal":
            want = rng.standard_normal(n, dtype=dtype)
        elif expr.startswith("uniform"):
            want = rng.random(n, dtype=dtype)
        else:
            want = rng.normal(1.0, 2.0, n)
        assert got.tobytes() == want.tobytes(), (expr, dtype, n)
    assert g.rng == "numpy-default"


def test_seed_forms_and_refusals():
    # a one-element list is the integer; numpy's own equivalences hold
    a = nninit.sample("normal", [64], seed=[42], dtype="float64", rng="numpy-default")
    b = nninit.sample("normal", [64], seed=42, dtype="float64", rng="numpy-default")
    assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="seed -1"):
        nninit.Generator("numpy-default", -1)
    with pytest.raises(ValueError, match=r"\[0, 2\^128\)"):
        nninit.Generator("numpy-default", 2**130)
    with pytest.raises(TypeError, match="integers"):
        nninit.Generator("numpy-default", 1.5)
    with pytest.raises(TypeError, match="nested"):
        nninit.Generator("numpy-default", [1, [2]])
    with pytest.raises(TypeError, match="sequence"):
        nninit.Generator("numpy", [1, 2])
    with pytest.raises(nninit.NninitError, match="truncated normal"):
        nninit.sample("trunc_normal(std=0.02)", [4], seed=0, rng="numpy-default")


def test_cli_rng_numpy_default(cli, tmp_path):
    out = tmp_path / "w.npy"
    r = subprocess.run([cli, "sample", "normal", "--shape=1000,33", "--rng", "numpy-default", "--seed", "2024",
                        "--dtype", "f32", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = np.load(out)
    want = np.random.default_rng(2024).standard_normal((1000, 33), dtype=np.float32)
    assert got.tobytes() == want.tobytes()
    # np.random.seed's legacy stream is something else
    assert got.tobytes() != nninit.sample("normal", [1000, 33], seed=2024, rng="numpy").tobytes()
    # an MLP's tensors drawn in order: w1, b1, w2, b2 from one default_rng
    out = tmp_path / "p.npz"
    r = subprocess.run([cli, "init", "--layers", "5,4,3", "--rng", "numpy-default", "--seed", "1", "--init",
                        "normal(std=0.01)", "--dtype", "f64", "--out", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    got = np.load(out)
    rng = np.random.default_rng(1)
    w1 = rng.normal(0.0, 0.01, (4, 5))
    w2 = rng.normal(0.0, 0.01, (3, 4))
    assert got["w1"].tobytes() == w1.tobytes() and got["w2"].tobytes() == w2.tobytes()
