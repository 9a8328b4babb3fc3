"""Bad input: the CLI's message as a ValueError (TypeError for the wrong kind
of object), the tensor untouched, never a crash."""

import subprocess

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def cli_error(cli, tmp_path, expr, shape):
    r = subprocess.run([cli, "sample", expr, f"--shape={shape}", "--out", str(tmp_path / "x.npy")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert not (tmp_path / "x.npy").exists()
    return r.stderr.strip().removeprefix("error: ")


@pytest.mark.parametrize("expr,shape", [
    ("normal(std=", "3,3"),                       # malformed
    ("normal(std=-1)", "3,3"),                    # negative std
    ("normal(std=nan)", "3,3"),                   # NaN std
    ("kaiming_normal(nonlinearity=relux)", "3,3"),  # unknown nonlinearity
    ("kaiming_normal(mode=fan_avg)", "3,3"),      # unknown mode
    ("kaiming_normal", "5"),                      # 1-d tensor for kaiming
    ("xavier_uniform", "5"),
    ("nope", "3"),                                # unknown initializer
    ("uniform(a=1, b=0)", "3"),
    ("dirac(groups=0)", "2,2,3"),
])
def test_same_message_as_the_cli(cli, tmp_path, expr, shape):
    want = cli_error(cli, tmp_path, expr, shape)
    dims = [int(d) for d in shape.split(",")]
    t = torch.full(dims, 7.0)
    with pytest.raises(ValueError) as e:
        nninit.fill_(t, expr)
    assert str(e.value) == want
    assert bool((t == 7.0).all()), "the tensor was touched"
    with pytest.raises(ValueError) as e:
        nninit.sample(expr, dims)
    assert str(e.value) == want


def test_dropin_errors_name_the_value():
    t = torch.full((4, 4), 7.0)
    for call, needle in [
        (lambda: nninit.normal_(t, std=-1.0), "`-1` for `std`"),
        (lambda: nninit.normal_(t, std=float("nan")), "`NaN` for `std`"),
        (lambda: nninit.kaiming_uniform_(t, nonlinearity="swish"), "unknown nonlinearity `swish`"),
        (lambda: nninit.kaiming_normal_(t, mode="fan_avg"), "fan_avg"),
        (lambda: nninit.kaiming_normal_(torch.full((4,), 7.0)), "rank >= 2"),
        (lambda: nninit.uniform_(t, 1.0, 0.0), "uniform"),
        (lambda: nninit.sparse_(t, 1.5), "sparsity"),
        (lambda: nninit.eye_(torch.full((2, 2, 2), 7.0)), "2-D"),
        (lambda: nninit.normal_(t, generator=torch.Generator()), "seed="),
        (lambda: nninit.calculate_gain("swish"), "unknown nonlinearity"),
    ]:
        with pytest.raises(ValueError) as e:
            call()
        assert needle in str(e.value), str(e.value)
    assert bool((t == 7.0).all())


def test_wrong_kinds_of_object():
    for bad in [torch.zeros(3, 3, dtype=torch.int64), torch.zeros(3, 3, dtype=torch.complex64),
                np.zeros((3, 3), dtype=np.int32), np.zeros((3, 3), dtype=np.complex128)]:
        with pytest.raises(TypeError) as e:
            nninit.normal_(bad)
        assert "float" in str(e.value)
    with pytest.raises(TypeError, match="numpy.ndarray or torch.Tensor"):
        nninit.normal_([1.0, 2.0])


def test_read_only_array_is_refused_and_untouched():
    a = np.full((3, 3), 7.0, dtype=np.float32)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        nninit.normal_(a)
    assert (a == 7.0).all()


def test_meta_tensor_asks_for_to_empty():
    t = torch.empty(3, 3, device="meta")
    with pytest.raises(ValueError, match="to_empty"):
        nninit.normal_(t)


def test_sample_bad_dtype_and_shape():
    with pytest.raises(ValueError, match="bfloat16"):
        nninit.sample("normal", 3, dtype="bfloat16")
    with pytest.raises(ValueError, match="unknown dtype"):
        nninit.sample("normal", 3, dtype="int8")
    with pytest.raises(ValueError, match="unknown dtype"):
        nninit.sample("normal", 3, dtype=np.int8)
    with pytest.raises(ValueError, match="2\\^62"):
        nninit.sample("normal", (2**40, 2**40))
    with pytest.raises((ValueError, OverflowError)):
        nninit.sample("normal", (-1,))


def test_errors_are_nninit_errors_and_value_errors():
    assert issubclass(nninit.NninitError, ValueError)
    with pytest.raises(nninit.NninitError):
        nninit.Init.parse("nope")
    with pytest.raises(nninit.NninitError):
        nninit.normal_(torch.zeros(3), std=-1)


@pytest.mark.parametrize("shape", [[3, 2**32, 2**32], [2**62, 2**62, 4], [2, 2**33, 2**33]])
def test_fans_never_wrap(shape):
    with pytest.raises(nninit.NninitError, match="overflow") as e:
        nninit.fans(shape)
    assert str(shape).replace(" ", "") in str(e.value).replace(" ", "")
    assert nninit.fans([2**31, 2**31, 2**31]) == (2**62, 2**62)


def test_values_that_do_not_fit_the_dtype_are_refused():
    t = torch.zeros(4)
    with pytest.raises(nninit.NninitError, match="f32") as e:
        nninit.constant_(t, 1e300)
    assert "1e300" in str(e.value)
    assert bool((t == 0).all())
    h = torch.zeros(64, dtype=torch.float16)
    with pytest.raises(nninit.NninitError, match="f16"):
        nninit.normal_(h, std=1e5)
    assert bool((h == 0).all())
    nninit.normal_(h, std=1e4)  # 5.77 * 1e4 < 65504: fits, never inf
    assert bool(torch.isfinite(h).all())
    with pytest.raises(nninit.NninitError, match="f16"):
        nninit.sample("constant(val=70000)", 3, dtype="float16")


def test_seeds_follow_each_generators_rule():
    with pytest.raises(nninit.NninitError, match="seed -1") as e:
        nninit.normal_(torch.zeros(3), seed=-1)
    assert "[0, 2^64)" in str(e.value)
    with pytest.raises(nninit.NninitError, match="seed"):
        nninit.sample("normal", 3, seed=2**64)
    assert nninit.sample("normal", 3, seed=2**64 - 1).shape == (3,)
    # torch.manual_seed(-1) is valid: its two's complement, 2^64 - 1
    torch.manual_seed(-1)
    want = torch.nn.init.normal_(torch.empty(5))
    got = nninit.sample("normal", 5, seed=-1, rng="torch")
    assert np.array_equal(got, want.numpy())
    assert np.array_equal(got, nninit.sample("normal", 5, seed=2**64 - 1, rng="torch"))
    with pytest.raises(nninit.NninitError, match="torch.manual_seed"):
        nninit.sample("normal", 5, seed=-(2**63) - 1, rng="torch")
    with pytest.raises(nninit.NninitError, match="np.random.seed"):
        nninit.sample("normal", 5, seed=-1, rng="numpy")


def test_rules_that_are_not_pairs_are_named():
    for bad, needle in [
        ([("a", "normal", "x")], "not 3 items"),
        ([("a",)], "not 1 items"),
        (["ab"], "pair"),
        ([(1, "normal")], "glob must be a string"),
        ([("a", 3)], "expression string or an nninit.Init"),
        (42, "rules must be"),
    ]:
        with pytest.raises(nninit.NninitError, match=needle):
            nninit.init_module(torch.nn.Linear(2, 2), rules=bad)
    # a mapping, pairs with Init objects
    m = nninit.init_module(torch.nn.Linear(2, 2), rules={"weight": nninit.Init.zeros(), "bias": "ones"})
    assert bool((m.weight == 0).all()) and bool((m.bias == 1).all())


def test_kaiming_on_a_zero_element_tensor_warns_and_does_nothing_as_torch():
    t = torch.empty(5, 0)
    with pytest.warns(UserWarning, match="zero-element") as w_torch:
        torch.nn.init.kaiming_normal_(t)
    for f in (nninit.kaiming_normal_, nninit.kaiming_uniform_):
        with pytest.warns(UserWarning, match="zero-element"):
            assert f(t) is t
    assert len(w_torch) >= 1
    # the other drop-ins write nothing and say nothing
    nninit.xavier_normal_(torch.empty(0, 4))
    nninit.normal_(torch.empty(0))


def test_python_errors_name_python_parameters_not_cli_flags(tmp_path):
    import json
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4,
                               "n_layer": 1, "n_head": 1}))
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.bin").write_bytes(b"x")
    msgs = []
    for call in [
        lambda: nninit.init_checkpoint(cfg, out),
        lambda: nninit.init_checkpoint(cfg, tmp_path / "o2", max_shard_size="lots"),
        lambda: nninit.fans([5]),
        lambda: nninit.kaiming_normal_(torch.zeros(5)),
        lambda: nninit.init_checkpoint(cfg, tmp_path / "o3", part="9/2"),
        lambda: nninit.sample("trunc_normal", 3, rng="numpy"),
    ]:
        with pytest.raises((ValueError, OSError)) as e:
            call()
        msgs.append(str(e.value))
    for m in msgs:
        assert "--" not in m, m
    assert "force=True" in msgs[0] and "model.bin" in msgs[0]
    assert 'rng="nninit"' in msgs[-1], msgs[-1]


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="no /proc")
def test_checkpoint_under_proc_is_not_a_disk_space_error(tmp_path):
    import json
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4,
                               "n_layer": 1, "n_head": 1}))
    with pytest.raises(OSError) as e:
        nninit.init_checkpoint(cfg, "/proc/self/nninit-out")
    assert "bytes are free" not in str(e.value), str(e.value)
    assert "/proc/self/nninit-out" in str(e.value)
