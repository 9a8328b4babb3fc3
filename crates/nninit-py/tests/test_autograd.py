"""In-place fills are in-place ops for autograd: a graph that saved the old
values raises in backward (as after torch.nn.init), and inference tensors
are refused outside inference mode (as torch refuses them)."""

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")

FILLS = [
    lambda w: nninit.normal_(w),
    lambda w: nninit.uniform_(w),
    lambda w: nninit.kaiming_uniform_(w),
    lambda w: nninit.orthogonal_(w),
    lambda w: nninit.fill_(w, "xavier_normal"),
    lambda w: nninit.fill_(w, "normal", rng="torch"),
]


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_backward_sees_the_in_place_fill_as_torch_does(fill, layout):
    # torch.nn.init.normal_ makes this backward raise: w was saved by w * w
    w0 = torch.ones(4, 4, requires_grad=True)
    y = (w0 * w0).sum()
    torch.nn.init.normal_(w0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    w = torch.ones(4, 4, requires_grad=True)
    target = w if layout == "contiguous" else w.t()  # a non-contiguous view of the leaf
    y = (w * w).sum()
    version = w._version
    fill(target.detach() if layout == "transposed" else w)
    assert w._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_graph_that_did_not_save_the_tensor_still_runs():
    w = torch.ones(4, 4, requires_grad=True)
    x = torch.randn(4, 4)
    y = (w * x).sum()  # saves x, not w
    nninit.normal_(w)
    y.backward()
    assert torch.equal(w.grad, x)


def test_module_parameters_are_bumped():
    m = torch.nn.Linear(3, 2)
    v = m.weight._version
    nninit.init_module(m)
    assert m.weight._version > v


def test_inference_tensors_are_refused_outside_inference_mode():
    with torch.inference_mode():
        t, u = torch.zeros(3, 3), torch.zeros(3, 3)
    with pytest.raises(RuntimeError):
        torch.nn.init.normal_(u)
    with pytest.raises(nninit.NninitError, match="inference_mode"):
        nninit.normal_(t)
    assert bool((t == 0).all())
    # inside inference mode it is allowed, as in torch
    with torch.inference_mode():
        nninit.normal_(t, seed=1)
    assert np.array_equal(t.numpy(), nninit.sample("normal", [3, 3], seed=1))
