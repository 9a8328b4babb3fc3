"""Bad input: the CLI's message as a ValueError (TypeError for the wrong kind
of object), the tensor untouched, never a crash."""

import subprocess

import numpy as np
import pytest

import nninit

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
    with pytest.raises(ValueError, match="2\\^62"):
        nninit.sample("normal", (2**40, 2**40))
    with pytest.raises((ValueError, OverflowError)):
        nninit.sample("normal", (-1,))
