"""--rng numpy / --rng torch against NumPy and PyTorch themselves (bit for
bit), plus pinned values so a change shows up without them."""

import json
import math
import subprocess

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn


def run(cli, *args, code=0):
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode == code, r.stderr
    return r


def safetensors_arrays(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    dt = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "BF16": np.uint16}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        lo, hi = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + lo:8 + n + hi], dtype=dt[v["dtype"]]).reshape(v["shape"])
    return out, header.get("__metadata__", {})


def initialize_parameters(layer_dims, seed):
    # the course's function, verbatim in spirit: np.random.seed, randn * 0.01, zero biases (n, 1)
    np.random.seed(seed)
    p = {}
    for l in range(1, len(layer_dims)):
        p[f"w{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        p[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return p


@pytest.mark.parametrize("layers,seed", [([5, 4, 3], 1), ([784, 256, 256, 10], 1), ([5, 4, 3], 3), ([12, 7, 1], 0)])
def test_numpy_initialize_parameters(cli, tmp_path, layers, seed):
    out = tmp_path / "p.npz"
    run(cli, "init", "--layers", ",".join(map(str, layers)), "--rng", "numpy", "--seed", seed,
        "--init", "normal(std=0.01)", "--dtype", "f64", "--out", out)
    got = np.load(out)
    want = initialize_parameters(layers, seed)
    assert list(got.keys()) == list(want.keys())
    for k in want:
        assert got[k].dtype == np.float64 and got[k].shape == want[k].shape
        assert got[k].tobytes() == want[k].tobytes(), k


def test_numpy_sample_is_one_call(cli, tmp_path):
    for expr, call in [
        ("uniform(a=-2, b=3)", lambda: np.random.uniform(-2, 3, (40, 50))),
        ("normal(mean=1, std=0.5)", lambda: np.random.normal(1, 0.5, (40, 50))),
        ("kaiming_normal(nonlinearity=relu)", lambda: np.random.normal(0, math.sqrt(2.0) / math.sqrt(50), (40, 50))),
        ("xavier_uniform",
         lambda: np.random.uniform(-math.sqrt(3.0 * 2.0 / 90), math.sqrt(3.0 * 2.0 / 90), (40, 50))),
    ]:
        for seed in (0, 7, 2**32 - 1):
            out = tmp_path / "s.npy"
            run(cli, "sample", expr, "--shape=40,50", "--rng", "numpy", "--seed", seed, "--dtype", "f64", "--out", out)
            np.random.seed(seed)
            want = call()
            assert np.load(out).tobytes() == want.tobytes(), (expr, seed)
            assert nninit.sample(expr, (40, 50), seed=seed, rng="numpy", dtype="float64").tobytes() == want.tobytes()
    # float32 is NumPy's float64 rounded
    np.random.seed(4)
    assert np.array_equal(nninit.sample("normal", 33, seed=4, rng="numpy"), np.random.randn(33).astype(np.float32))


def torch_model(dtype):
    torch.manual_seed(0)
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("dtype,flag", [(torch.float32, "f32"), (torch.float64, "f64")])
def test_torch_linear_stack(cli, tmp_path, dtype, flag):
    out = tmp_path / "m.safetensors"
    run(cli, "init", "--layers", "784,256,10", "--rng", "torch", "--seed", 0, "--naming", "torch", "--init",
        "torch_default", "--bias", "torch_default_bias", "--dtype", flag, "--out", out)
    got, meta = safetensors_arrays(out)
    assert meta.get("rng") == "torch"
    ref = torch_model(dtype).state_dict()
    pairs = [("layers.0.weight", "0.weight"), ("layers.0.bias", "0.bias"), ("layers.1.weight", "2.weight"),
             ("layers.1.bias", "2.bias")]
    for ours, theirs in pairs:
        assert got[ours].tobytes() == ref[theirs].numpy().tobytes(), ours


TORCH_CASES = [
    ("uniform(a=-0.37, b=1.9)", lambda t: nn.init.uniform_(t, -0.37, 1.9)),
    ("normal(mean=0.5, std=0.02)", lambda t: nn.init.normal_(t, 0.5, 0.02)),
    ("kaiming_normal(nonlinearity=relu)", lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu")),
    ("kaiming_uniform(a=0.1, mode=fan_out)", lambda t: nn.init.kaiming_uniform_(t, a=0.1, mode="fan_out")),
    ("xavier_uniform(gain=1.5)", lambda t: nn.init.xavier_uniform_(t, gain=1.5)),
    ("xavier_normal", lambda t: nn.init.xavier_normal_(t)),
    ("torch_default", lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("trunc_normal(std=0.02)", lambda t: nn.init.trunc_normal_(t, std=0.02)),
    ("trunc_normal(mean=1, std=3, a=-1, b=2)", lambda t: nn.init.trunc_normal_(t, 1, 3, -1, 2)),
    ("trunc_normal(a=1.5, b=3)", lambda t: nn.init.trunc_normal_(t, 0, 1, 1.5, 3)),  # p < 0.3: the uniform branch
    ("constant(val=0.3)", lambda t: nn.init.constant_(t, 0.3)),
    ("zeros", lambda t: nn.init.zeros_(t)),
    ("ones", lambda t: nn.init.ones_(t)),
]


@pytest.mark.parametrize("expr,fn", TORCH_CASES)
@pytest.mark.parametrize("shape", [(256, 784), (16, 7), (5, 3), (33, 17), (8, 4, 3, 3)])
def test_torch_sample_is_torch_nn_init(cli, tmp_path, expr, fn, shape):
    for dtype, flag in [(torch.float32, "f32"), (torch.float64, "f64"), (torch.float16, "f16")]:
        torch.manual_seed(3)
        want = fn(torch.empty(shape, dtype=dtype)).numpy()
        got = nninit.sample(expr, shape, seed=3, rng="torch", dtype=flag)
        assert got.tobytes() == want.tobytes(), (expr, shape, flag)
    out = tmp_path / "s.npy"
    run(cli, "sample", expr, "--shape=" + ",".join(map(str, shape)), "--rng", "torch", "--seed", 3, "--out", out)
    torch.manual_seed(3)
    assert np.load(out).tobytes() == fn(torch.empty(shape)).numpy().tobytes()


PORTABLE = """
import sys, numpy as np, torch, nninit
assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
for seed in range(3):
    for n in (16, 33, 1000):
        torch.manual_seed(seed)
        want = torch.empty(n).normal_(0.5, 0.02).numpy()
        got = nninit.sample("normal(mean=0.5, std=0.02)", n, seed=seed, rng="torch")
        assert got.tobytes() == want.tobytes(), (seed, n)
print("ok")
"""


def test_torch_portable_kernels_too():
    # with ATEN_CPU_CAPABILITY=default torch runs its portable f32 normal_
    # (the C library's logf/cosf/sinf instead of avx_mathfun); nninit reads
    # the same variable and follows
    import os
    import sys

    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    r = subprocess.run([sys.executable, "-c", PORTABLE], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_torch_bfloat16_cli(cli, tmp_path):
    out = tmp_path / "b.safetensors"
    run(cli, "sample", "kaiming_normal(nonlinearity=relu)", "--shape=33,17", "--rng", "torch", "--seed", 5,
        "--dtype", "bf16", "--out", out)
    got, _ = safetensors_arrays(out)
    torch.manual_seed(5)
    want = nn.init.kaiming_normal_(torch.empty(33, 17, dtype=torch.bfloat16), nonlinearity="relu")
    assert got["b"].tobytes() == want.view(torch.int16).numpy().tobytes()  # named after the file


def test_torch_bfloat16_and_sequences():
    torch.manual_seed(9)
    a = nn.init.normal_(torch.empty(37, dtype=torch.bfloat16))
    b = nn.init.uniform_(torch.empty(5, dtype=torch.bfloat16), -1, 1)
    g = nninit.Generator("torch", 9)
    x = torch.empty(37, dtype=torch.bfloat16)
    y = torch.empty(5, dtype=torch.bfloat16)
    nninit.fill_(x, "normal", rng=g)
    nninit.fill_(y, "uniform(a=-1, b=1)", rng=g)
    assert torch.equal(x.view(torch.int16), a.view(torch.int16))
    assert torch.equal(y.view(torch.int16), b.view(torch.int16))
    # small tensors carry the generator's cached normal across calls
    torch.manual_seed(2)
    refs = [torch.empty(3).normal_(), torch.empty(1).normal_(), torch.empty(20).normal_(), torch.empty(5).normal_()]
    g = nninit.Generator("torch", 2)
    for r in refs:
        t = torch.empty(r.shape)
        nninit.fill_(t, "normal", rng=g)
        assert torch.equal(t, r)


def test_init_module_reproduces_torch_manual_seed():
    def build():
        return nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 32),
                             nn.LayerNorm(32), nn.Embedding(10, 32, padding_idx=0), nn.Conv1d(4, 2, 5),
                             nn.ConvTranspose2d(2, 3, 2))
    for seed in (0, 5):
        torch.manual_seed(seed)
        want = build().state_dict()
        m = nninit.init_module(build(), seed=seed, rng="torch")
        for k, v in want.items():
            assert torch.equal(m.state_dict()[k], v), (seed, k)
    with pytest.raises(ValueError, match="MultiheadAttention"):
        nninit.init_module(nn.MultiheadAttention(8, 2), rng="torch")


def test_pinned_framework_values():
    # without NumPy or torch in the loop: a stream change shows up here
    assert nninit.sample("normal", 2, seed=1, rng="numpy", dtype="float64").tolist() == [1.6243453636632417,
                                                                                     -0.6117564136500754]
    assert nninit.sample("uniform", 3, seed=0, rng="torch").tolist() == pytest.approx(
        [0.49625658988952637, 0.7682217955589294, 0.08847743272781372], abs=0)


@pytest.mark.parametrize("args,needle", [
    (["sample", "orthogonal", "--shape=4,4", "--rng", "torch"], "LAPACK"),
    (["sample", "sparse(sparsity=0.5)", "--shape=4,4", "--rng", "numpy"], "LAPACK"),
    (["sample", "trunc_normal", "--shape=4,4", "--rng", "numpy"], "truncated normal"),
    (["sample", "normal", "--shape=4", "--rng", "tensorflow"], "allowed: nninit, numpy, numpy-default, torch, jax"),
    (["sample", "normal", "--shape=4", "--rng", "numpy", "--seed", "4294967296"], "2**32 - 1"),
])
def test_refusals_write_nothing(cli, tmp_path, args, needle):
    out = tmp_path / "x.npy"
    r = run(cli, *args, "--out", out, code=2)
    assert needle in r.stderr, r.stderr
    assert not out.exists()


def test_hf_config_refuses_framework_rngs(cli, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4, "n_layer": 1,
                               "n_head": 1}))
    r = run(cli, "init", "--hf-config", cfg, "--rng", "torch", "--out", tmp_path / "d", code=2)
    assert "transformers" in r.stderr and not (tmp_path / "d").exists()


def test_naming_sequential_loads_into_nn_sequential(cli, tmp_path):
    out = tmp_path / "m.safetensors"
    run(cli, "init", "--layers", "784,256,64,10", "--naming", "sequential", "--out", out)
    arrays, _ = safetensors_arrays(out)
    sd = {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))
    model.load_state_dict(sd, strict=True)  # every key present, every shape right
    assert torch.equal(model[2].weight, sd["2.weight"])
