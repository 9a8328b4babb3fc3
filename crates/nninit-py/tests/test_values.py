"""Values: the package gives exactly the CLI's values, in every dtype and
container, and the drop-ins mean what torch.nn.init's functions mean."""

import json
import subprocess

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def cli_sample(cli, tmp_path, expr, shape, seed, name, dtype):
    out = tmp_path / "s.npy"
    subprocess.run(
        [cli, "sample", expr, f"--shape={','.join(map(str, shape))}", "--seed", str(seed), "--name", name,
         "--dtype", dtype, "--out", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    return np.load(out)


CASES = [
    ("normal(std=0.02)", (64, 33), 0, "tensor"),
    ("uniform(a=-3, b=0.5)", (1000,), 7, "encoder.0.weight"),
    ("trunc_normal(std=0.5, a=-1, b=1)", (5, 7, 3), 3, "x"),
    ("kaiming_normal(nonlinearity=relu)", (256, 784), 1, "w1"),
    ("kaiming_uniform(a=0.1, mode=fan_out, nonlinearity=leaky_relu)", (16, 8, 3, 3), 2, "conv"),
    ("xavier_uniform(gain=2)", (10, 20), 5, "w"),
    ("xavier_normal", (70000,  2), 5, "big"),  # spans two parallel blocks
    ("orthogonal(gain=1.5)", (12, 20), 9, "q"),
    ("sparse(sparsity=0.3, std=0.1)", (9, 4), 9, "s"),
    ("dirac(groups=2)", (4, 3, 3, 3), 0, "d"),
    ("eye", (3, 5), 0, "e"),
    ("constant(val=0.25)", (2, 2), 0, "c"),
    ("torch_default", (30, 17), 11, "lin.weight"),
    ("torch_default_bias(fan_in=17)", (30,), 11, "lin.bias"),
    ("normal(mean=1, std=3)", (), 4, "scalar"),
]


@pytest.mark.parametrize("expr,shape,seed,name", CASES)
@pytest.mark.parametrize("dtype", ["f32", "f64", "f16"])
def test_sample_is_the_cli(cli, tmp_path, expr, shape, seed, name, dtype):
    want = cli_sample(cli, tmp_path, expr, shape, seed, name, dtype)
    got = nninit.sample(expr, shape, seed=seed, name=name, dtype=dtype)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
    # torch tensors and numpy arrays filled in place: the same bytes
    tdt = {"f32": torch.float32, "f64": torch.float64, "f16": torch.float16}[dtype]
    t = torch.empty(shape, dtype=tdt)
    assert nninit.fill_(t, expr, seed=seed, name=name) is t
    assert t.numpy().tobytes() == want.tobytes()


def test_bfloat16_tensor_is_the_cli(cli, tmp_path):
    out = tmp_path / "b.safetensors"
    subprocess.run([cli, "sample", "normal(std=0.02)", "--shape=40,30", "--seed", "3", "--name", "w",
                    "--dtype", "bf16", "--out", str(out)], check=True, capture_output=True, timeout=120)
    raw = out.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    meta = json.loads(raw[8:8 + n])["w"]
    assert meta["dtype"] == "BF16" and meta["shape"] == [40, 30]
    lo, hi = meta["data_offsets"]
    want = raw[8 + n + lo:8 + n + hi]
    t = torch.empty(40, 30, dtype=torch.bfloat16)
    nninit.normal_(t, std=0.02, seed=3, name="w")
    assert t.view(torch.int16).numpy().tobytes() == want


def test_bfloat16_without_safetensors_matches_f32_rounded():
    # bf16 values are the f32 values rounded to nearest even
    t = torch.empty(1000, dtype=torch.bfloat16)
    nninit.normal_(t, seed=1, name="w")
    f = nninit.sample("normal", 1000, seed=1, name="w")
    assert torch.equal(t, torch.from_numpy(f).to(torch.bfloat16))


def test_pinned_values():
    # a change of stream (key derivation, counters, kernels) shows up here
    # even without the CLI; the Rust suite pins the same stream
    a = nninit.sample("normal(std=2)", (3, 4), seed=1, name="w")
    assert a[0, 0] == np.float32(3.3628356)
    assert a[2, 3] == np.float32(-0.73752457)
    b = nninit.sample("uniform", 2, seed=0, name="tensor", dtype="float64")
    assert b.tolist() == [0.8566421537117883, 0.7602290179739132]


def test_dropins_equal_their_expressions():
    pairs = [
        (lambda t: nninit.uniform_(t, -2, 3, seed=4, name="n"), "uniform(a=-2, b=3)"),
        (lambda t: nninit.normal_(t, 0.5, 2, seed=4, name="n"), "normal(mean=0.5, std=2)"),
        (lambda t: nninit.trunc_normal_(t, 0, 1, -0.5, 0.5, seed=4, name="n"), "trunc_normal(a=-0.5, b=0.5)"),
        (lambda t: nninit.constant_(t, 3.5, seed=4, name="n"), "constant(val=3.5)"),
        (lambda t: nninit.ones_(t, seed=4, name="n"), "ones"),
        (lambda t: nninit.zeros_(t, seed=4, name="n"), "zeros"),
        (lambda t: nninit.eye_(t, seed=4, name="n"), "eye"),
        (lambda t: nninit.xavier_uniform_(t, gain=0.5, seed=4, name="n"), "xavier_uniform(gain=0.5)"),
        (lambda t: nninit.xavier_normal_(t, seed=4, name="n"), "xavier_normal"),
        (lambda t: nninit.kaiming_uniform_(t, seed=4, name="n"), "kaiming_uniform"),
        (lambda t: nninit.kaiming_normal_(t, a=0.2, mode="fan_out", seed=4, name="n"),
         "kaiming_normal(a=0.2, mode=fan_out)"),
        (lambda t: nninit.kaiming_normal_(t, nonlinearity="tanh", seed=4, name="n"), "kaiming_normal(nonlinearity=tanh)"),
        (lambda t: nninit.orthogonal_(t, gain=2, seed=4, name="n"), "orthogonal(gain=2)"),
        (lambda t: nninit.sparse_(t, 0.5, seed=4, name="n"), "sparse(sparsity=0.5)"),
    ]
    for fn, expr in pairs:
        t = torch.empty(24, 10)
        assert fn(t) is t
        want = nninit.sample(expr, (24, 10), seed=4, name="n")
        assert np.array_equal(t.numpy(), want), expr
    t = torch.empty(6, 3, 3)
    nninit.dirac_(t, groups=2)
    assert np.array_equal(t.numpy(), nninit.sample("dirac(groups=2)", (6, 3, 3)))


def test_dropins_follow_torch_semantics_statistically():
    # n = 1024 * 1024 draws per case; the sample std of N draws has a
    # relative standard error of about 1/sqrt(2N) = 0.07%: 1% is 14 sigma
    t = torch.empty(1024, 1024)
    for fill, ref in [
        (lambda t: nninit.kaiming_normal_(t, nonlinearity="relu"), lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
        (lambda t: nninit.kaiming_uniform_(t, a=5 ** 0.5), lambda t: torch.nn.init.kaiming_uniform_(t, a=5 ** 0.5)),
        (lambda t: nninit.xavier_uniform_(t, gain=2), lambda t: torch.nn.init.xavier_uniform_(t, gain=2)),
        (lambda t: nninit.xavier_normal_(t), lambda t: torch.nn.init.xavier_normal_(t)),
        (lambda t: nninit.trunc_normal_(t, 0, 1, -1, 2), lambda t: torch.nn.init.trunc_normal_(t, 0, 1, -1, 2)),
        (lambda t: nninit.orthogonal_(t), lambda t: torch.nn.init.orthogonal_(t)),
    ]:
        fill(t)
        ours = (t.mean().item(), t.std().item(), t.min().item(), t.max().item())
        torch.manual_seed(0)
        ref(t)
        theirs = (t.mean().item(), t.std().item(), t.min().item(), t.max().item())
        assert abs(ours[1] - theirs[1]) < 0.01 * theirs[1], (ours, theirs)
        assert abs(ours[0] - theirs[0]) < 0.01 * theirs[1], (ours, theirs)


def test_calculate_gain_and_fans_are_torchs():
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv_transpose3d", None)]:
        assert nninit.calculate_gain(nl, p) == torch.nn.init.calculate_gain(nl, p), nl
    from torch.nn.init import _calculate_fan_in_and_fan_out
    for shape in [(5, 3), (16, 8, 3, 3), (4, 2, 5)]:
        assert nninit.fans(list(shape)) == _calculate_fan_in_and_fan_out(torch.empty(shape))


def test_numpy_arrays_in_place():
    for dt in (np.float32, np.float64, np.float16):
        a = np.zeros((7, 9), dtype=dt)
        assert nninit.normal_(a, std=0.1, seed=2, name="a") is a
        assert np.array_equal(a, nninit.sample("normal(std=0.1)", (7, 9), seed=2, name="a", dtype=np.dtype(dt).name))


def test_non_contiguous_and_parameters():
    want = nninit.sample("normal", (8, 6), seed=1, name="w")
    # a transposed view: its logical (8, 6) elements get the values of an (8, 6) tensor
    base = torch.zeros(6, 8)
    view = base.t()
    assert not view.is_contiguous()
    nninit.normal_(view, seed=1, name="w")
    assert np.array_equal(view.contiguous().numpy(), want)
    a = np.zeros((6, 8), dtype=np.float32).T
    nninit.normal_(a, seed=1, name="w")
    assert np.array_equal(a, want)
    # a Parameter that requires grad, and a slice of a larger tensor
    p = torch.nn.Parameter(torch.zeros(8, 6))
    nninit.normal_(p, seed=1, name="w")
    assert p.requires_grad and np.array_equal(p.detach().numpy(), want)
    big = torch.zeros(10, 6)
    nninit.normal_(big[1:9], seed=1, name="w")
    assert np.array_equal(big[1:9].numpy(), want) and big[0].abs().sum() == 0 and big[9].abs().sum() == 0


def test_init_object_api():
    i = nninit.Init.parse("kaiming_normal(nonlinearity=relu)")
    assert i.name == "kaiming_normal" and i.is_shardable()
    assert abs(i.second_moment([256, 784]) - 2 / 784) < 1e-12
    assert nninit.Init.parse("normal(std=0.01)") == nninit.Init.normal(0.0, 0.01)
    assert not nninit.Init.orthogonal(1.0).is_shardable()
    assert "normal" in repr(i) or "kaiming" in repr(i)


def test_sample_takes_numpy_and_torch_dtypes():
    want = nninit.sample("normal", (3, 4), seed=1, dtype="float64")
    for d in (np.float64, np.dtype("float64"), "f64", torch.float64):
        got = nninit.sample("normal", (3, 4), seed=1, dtype=d)
        assert got.dtype == np.float64 and np.array_equal(got, want), d
    assert nninit.sample("normal", 3, dtype=torch.float16).dtype == np.float16
    assert nninit.sample("normal", 3, dtype=np.float32).dtype == np.float32


def test_native_constructors_have_the_expression_defaults():
    Init = nninit.Init
    for built, expr in [
        (Init.uniform(), "uniform"),
        (Init.normal(std=0.02), "normal(std=0.02)"),
        (Init.trunc_normal(), "trunc_normal"),
        (Init.xavier_uniform(), "xavier_uniform"),
        (Init.kaiming_normal(nonlinearity="relu"), "kaiming_normal(nonlinearity=relu)"),
        (Init.kaiming_uniform(mode="fan_out"), "kaiming_uniform(mode=fan_out)"),
        (Init.orthogonal(), "orthogonal"),
        (Init.sparse(0.5), "sparse(sparsity=0.5)"),
        (Init.dirac(), "dirac"),
        (Init.zeros(), "zeros"),
        (Init.ones(), "ones"),
        (Init.identity(), "identity"),
        (Init.delta_orthogonal(), "delta_orthogonal"),
        (Init.variance_scaling(), "variance_scaling"),
        (Init.variance_scaling(2.0, "fan_out", "uniform"), "variance_scaling(scale=2, mode=fan_out, distribution=uniform)"),
        (Init.preset("he_normal"), "he_normal"),
        (Init.torch_default(), "torch_default"),
        (Init.torch_default_bias(9), "torch_default_bias(fan_in=9)"),
    ]:
        assert built == Init.parse(expr), (built, expr)
