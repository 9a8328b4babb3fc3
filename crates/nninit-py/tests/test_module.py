"""init_module: names are state_dict keys, values are the CLI's streams,
rules first, PyTorch's defaults otherwise, nothing touched on an error."""

import math

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn


def expected(init_expr, key, shape, seed):
    return nninit.sample(init_expr, tuple(shape), seed=seed, name=key)


def small_net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


def test_values_are_the_streams_of_the_state_dict_keys():
    m = nninit.init_module(small_net(), seed=5)
    sd = m.state_dict()
    w0 = sd["0.weight"]
    fan_in = 3 * 3 * 3
    assert np.array_equal(sd["0.weight"].numpy(), expected("torch_default", "0.weight", w0.shape, 5))
    assert np.array_equal(sd["0.bias"].numpy(), expected(f"torch_default_bias(fan_in={fan_in})", "0.bias", (8,), 5))
    assert np.array_equal(sd["1.weight"].numpy(), np.ones(8, dtype=np.float32))
    assert np.array_equal(sd["1.bias"].numpy(), np.zeros(8, dtype=np.float32))
    assert np.array_equal(sd["4.weight"].numpy(), expected("torch_default", "4.weight", (10, 128), 5))
    assert np.array_equal(sd["4.bias"].numpy(), expected("torch_default_bias(fan_in=128)", "4.bias", (10,), 5))
    # torch's own bounds: weights within 1/sqrt(fan_in) (kaiming_uniform a=sqrt(5)), biases too
    assert sd["4.weight"].abs().max() <= 1 / math.sqrt(128)
    assert sd["0.bias"].abs().max() <= 1 / math.sqrt(fan_in)


def test_adding_a_layer_leaves_the_others_alone():
    a = nninit.init_module(nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3)), seed=1).state_dict()
    b = nninit.init_module(nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3), nn.Linear(3, 2)), seed=1).state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_rules_first_match_wins_in_every_form(tmp_path):
    pairs = [("*.bias", "zeros"), ("0.*", "normal(std=0.5)"), ("*", "xavier_uniform")]
    spec = tmp_path / "rules.toml"
    spec.write_text("\n".join(f'[[rules]]\nmatch = "{g}"\ninit = "{e}"' for g, e in pairs) + "\n")
    results = []
    for rules in (pairs, dict(pairs), str(spec), spec, nninit.Rules(pairs)):
        m = nninit.init_module(nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3)), seed=2, rules=rules)
        results.append(m.state_dict())
    sd = results[0]
    assert torch.equal(sd["0.bias"], torch.zeros(4)) and torch.equal(sd["1.bias"], torch.zeros(3))
    assert np.array_equal(sd["0.weight"].numpy(), expected("normal(std=0.5)", "0.weight", (4, 5), 2))
    assert np.array_equal(sd["1.weight"].numpy(), expected("xavier_uniform", "1.weight", (3, 4), 2))
    for other in results[1:]:
        for k in sd:
            assert torch.equal(sd[k], other[k]), k


def test_verbose_says_what_each_parameter_got(capsys):
    nninit.init_module(nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4)), rules=[("*.bias", "zeros")])
    assert capsys.readouterr().out == ""
    nninit.init_module(nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4)), rules=[("*.bias", "zeros")], verbose=True)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "0.weight: torch_default (torch default for Linear)",
        "0.bias: zeros (rule 0 `*.bias`)",
        "1.weight: ones (torch default for LayerNorm)",
        "1.bias: zeros (rule 0 `*.bias`)",
    ]


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.scale = nn.Parameter(torch.full((3,), 7.0))


def test_unknown_parameter_is_an_error_naming_it_and_nothing_is_written():
    m = Custom()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    with pytest.raises(ValueError) as e:
        nninit.init_module(m)
    assert "`scale`" in str(e.value) and "rule" in str(e.value)
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k]), k
    nninit.init_module(m, rules={"scale": "ones"})
    assert torch.equal(m.scale.detach(), torch.ones(3))
    # a rule that cannot fill its tensor names the parameter too
    with pytest.raises(ValueError, match="parameter `scale`.*kaiming"):
        nninit.init_module(Custom(), rules={"scale": "kaiming_normal"})
    with pytest.raises(ValueError, match="unknown initializer"):
        nninit.init_module(Custom(), rules={"scale": "nope"})


def test_embedding_attention_norms_and_convtranspose():
    m = nn.ModuleDict({
        "emb": nn.Embedding(20, 8, padding_idx=None),
        "attn": nn.MultiheadAttention(8, 2),
        "ln": nn.LayerNorm(8),
        "gn": nn.GroupNorm(2, 8),
        "up": nn.ConvTranspose1d(8, 4, 3),
    })
    nninit.init_module(m, seed=3)
    sd = m.state_dict()
    assert np.array_equal(sd["emb.weight"].numpy(), expected("normal", "emb.weight", (20, 8), 3))
    assert np.array_equal(sd["attn.in_proj_weight"].numpy(), expected("xavier_uniform", "attn.in_proj_weight", (24, 8), 3))
    assert torch.equal(sd["attn.in_proj_bias"], torch.zeros(24))
    assert torch.equal(sd["attn.out_proj.bias"], torch.zeros(8))
    assert np.array_equal(sd["attn.out_proj.weight"].numpy(), expected("torch_default", "attn.out_proj.weight", (8, 8), 3))
    # ConvTranspose weight is [in, out, k]: torch's fan_in is out * k = 12
    assert np.array_equal(sd["up.bias"].numpy(), expected("torch_default_bias(fan_in=12)", "up.bias", (4,), 3))
    assert torch.equal(sd["gn.weight"], torch.ones(8))


def test_meta_device_then_to_empty():
    with torch.device("meta"):
        m = nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 2))
    with pytest.raises(ValueError, match="to_empty"):
        nninit.init_module(m)
    m = m.to_empty(device="cpu")
    nninit.init_module(m, seed=4)
    ref = nninit.init_module(nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 2)), seed=4)
    for k, v in ref.state_dict().items():
        assert torch.equal(m.state_dict()[k], v), k


def test_dtypes_of_modules():
    m = nn.Linear(16, 8).to(torch.bfloat16)
    nninit.init_module(m, seed=1)
    want = torch.from_numpy(expected("torch_default", "weight", (8, 16), 1)).to(torch.bfloat16)
    assert torch.equal(m.weight.detach(), want)
    m = nn.Linear(16, 8).double()
    nninit.init_module(m, seed=1)
    assert np.array_equal(m.weight.detach().numpy(), nninit.sample("torch_default", (8, 16), seed=1, name="weight", dtype="float64"))


def test_batchnorm_running_statistics_are_reset_as_reset_parameters_does():
    bn = nn.BatchNorm1d(4)
    bn.train()
    bn(torch.randn(16, 4) * 3 + 2)  # an earlier run's statistics
    assert int(bn.num_batches_tracked) == 1 and not torch.equal(bn.running_mean, torch.zeros(4))
    ref = nn.BatchNorm1d(4)
    ref.load_state_dict(bn.state_dict())
    ref.reset_parameters()
    nninit.init_module(bn)
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        assert torch.equal(getattr(bn, k), getattr(ref, k)), k
    # without running statistics there is nothing to reset
    plain = nn.BatchNorm1d(4, track_running_stats=False)
    nninit.init_module(plain)
    assert plain.running_mean is None


@pytest.mark.parametrize("cls", [nn.Embedding, nn.EmbeddingBag])
@pytest.mark.parametrize("pad", [3, -2])
def test_padding_row_is_zero_for_embedding_and_embedding_bag(cls, pad):
    m = cls(11, 6, padding_idx=pad)
    nninit.init_module(m, seed=2)
    row = pad % 11
    w = m.weight.detach().numpy()
    assert (w[row] == 0).all()
    want = nninit.sample("normal", (11, 6), seed=2, name="weight")
    keep = [i for i in range(11) if i != row]
    assert np.array_equal(w[keep], want[keep])
    # a rule decides the whole tensor, padding row included
    nninit.init_module(m, seed=2, rules=[("weight", "normal(std=0.5)")])
    assert (m.weight.detach()[row] != 0).any()


def test_torch_scheme_covers_recurrent_bilinear_prelu_and_embedding_bag():
    m = nn.ModuleDict({
        "lstm": nn.LSTM(6, 16, num_layers=2),
        "gru": nn.GRUCell(5, 9),
        "bil": nn.Bilinear(4, 7, 3),
        "act": nn.PReLU(num_parameters=3, init=0.1),
        "bag": nn.EmbeddingBag(12, 5, padding_idx=2),
    })
    p = nninit.plan(m)
    by = {e.name: e for e in p.entries}
    # torch's reset_parameters: U(+-1/sqrt(hidden_size)) for every weight and bias
    assert str(by["lstm.weight_ih_l1"].init) == "uniform(a=-0.25, b=0.25)"
    assert str(by["lstm.bias_hh_l0"].init) == "uniform(a=-0.25, b=0.25)"
    b9 = 1 / math.sqrt(9)
    assert by["gru.weight_hh"].init == nninit.Init.uniform(-b9, b9)
    # Bilinear: U(+-1/sqrt(in1_features)) for weight and bias
    assert str(by["bil.weight"].init) == "uniform(a=-0.5, b=0.5)" and str(by["bil.bias"].init) == "uniform(a=-0.5, b=0.5)"
    assert str(by["act.weight"].init) == "constant(val=0.1)"
    assert str(by["bag.weight"].init) == "normal(mean=0, std=1)" and by["bag.weight"].zero_row == 2
    nninit.init_module(m, seed=4)
    w = m["lstm"].weight_ih_l1.detach().numpy()
    assert np.array_equal(w, expected("uniform(a=-0.25, b=0.25)", "lstm.weight_ih_l1", w.shape, 4))
    assert bool((m["act"].weight == 0.1).all())
    assert bool((m["bag"].weight[2] == 0).all())
    # torch's own reset_parameters stays within the same bounds
    ref = nn.LSTM(6, 16, num_layers=2)
    assert float(ref.weight_ih_l1.detach().abs().max()) <= 0.25


def test_plan_shows_without_writing_and_serializes():
    class MyLinear(nn.Linear):  # a subclass is planned as its torch base
        pass

    m = nn.Sequential(MyLinear(3, 2), nn.LayerNorm(2))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    p = nninit.plan(m, rules={"1.bias": "ones"})
    assert {k: torch.equal(v, m.state_dict()[k]) for k, v in before.items()} == {k: True for k in before}
    text = str(p)
    # roles where nninit can infer them (the norm, the biases), shown as a column
    assert text.splitlines()[0].split() == ["name", "shape", "dtype", "role", "layer", "init", "why"]
    assert [e.role for e in p.entries] == [None, "bias", "norm", "bias"]
    assert "torch default for MyLinear" in text and "rule 0 `1.bias`" in text
    import json
    j = json.loads(p.to_json())
    assert j["scheme"] == "torch"
    assert [e["name"] for e in j["entries"]] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert j["entries"][1]["init"] == "torch_default_bias(fan_in=3)"
    assert j["entries"][3]["source"] == {"by": "rule", "index": 0, "glob": "1.bias"}


def test_every_uncovered_parameter_and_unused_rule_is_an_error_with_nothing_written():
    class Mine(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.full((3,), 7.0))
            self.b = nn.Parameter(torch.full((2, 2), 7.0))

    m = nn.Sequential(nn.Linear(2, 2), Mine(), Mine())
    w0 = m[0].weight.detach().clone()
    with pytest.raises(nninit.NninitError) as e:
        nninit.init_module(m)
    msg = str(e.value)
    assert msg.startswith("4 parameter(s) have no initializer under scheme `torch`")
    for n in ["`1.a` (Mine)", "`1.b` (Mine)", "`2.a` (Mine)", "`2.b` (Mine)"]:
        assert n in msg, msg
    assert torch.equal(m[0].weight, w0), "nothing is written"
    with pytest.raises(nninit.NninitError, match="rule 1 .*matches no parameter"):
        nninit.init_module(m, rules=[("*.a", "zeros"), ("*.bb", "zeros"), ("*.b", "ones")])
    assert torch.equal(m[0].weight, w0)
    nninit.init_module(m, rules=[("*.a", "zeros"), ("*.b", "ones")])
    assert bool((m[1].a == 0).all()) and bool((m[2].b == 1).all())
    with pytest.raises(nninit.NninitError, match="unknown scheme `tourch`"):
        nninit.plan(m, scheme="tourch")
