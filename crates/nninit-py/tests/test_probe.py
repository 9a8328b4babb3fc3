"""nninit.probe on real PyTorch models: the claims it must get right (3
seeds each), the model left exactly as it was, and bad input."""

import json
import math

import nninit
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
SEEDS = [0, 1, 2]


def mlp(act, depth=20, width=256):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def mlp_batch(seed):
    torch.manual_seed(seed)
    return torch.randn(64, 256), torch.randint(0, 10, (64,))


def cnn(init=None):
    layers = [nn.Conv2d(3, 32, 3, padding=1), nn.ReLU()]
    for _ in range(15):
        layers += [nn.Conv2d(32, 32, 3, padding=1), nn.ReLU()]
    m = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    if init is not None:
        for l in m:
            if isinstance(l, nn.Conv2d):
                init(l.weight)
    return m


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.relu = nn.ReLU()

    def forward(self, x):
        return torch.relu(x + self.b2(self.c2(self.relu(self.b1(self.c1(x))))))


def resnet():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                         *[Block(16) for _ in range(8)], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 64)
        layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
        self.head = nn.Linear(64, 100)

    def forward(self, tokens):
        return self.head(self.enc(self.emb(tokens)))


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        return self.fc(self.lstm(x)[0][:, -1])


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_small_init_vanishes_and_the_recommendation_heals_it(seed):
    x, y = mlp_batch(seed)
    m = mlp(nn.Tanh)
    for l in m:
        if isinstance(l, nn.Linear):
            nn.init.normal_(l.weight, std=0.01)
    r = nninit.probe(m, x, y)
    assert r.verdict == "vanishing", r
    assert r.first_bad is not None
    assert set(r.recommendation) == {f"{i}.weight" for i in range(0, 42, 2)}
    nninit.init_module(m, seed=seed, rules=r.recommendation)
    assert nninit.probe(m, x, y).verdict == "healthy"


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_default_vanishes(seed):
    x, y = mlp_batch(seed)
    assert nninit.probe(mlp(nn.Sigmoid), x, y).verdict == "vanishing"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fill", [nn.init.zeros_, lambda p: nn.init.constant_(p, 0.1)])
def test_constant_weights_are_symmetric(seed, fill):
    x, y = mlp_batch(seed)
    m = mlp(nn.Tanh)
    for p in m.parameters():
        fill(p)
    assert nninit.probe(m, x, y).verdict == "symmetric"


@pytest.mark.parametrize("seed", SEEDS)
def test_cnn_unit_normal_explodes_and_kaiming_fan_out_is_healthy(seed):
    torch.manual_seed(seed)
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    r = nninit.probe(cnn(lambda w: nn.init.normal_(w, 0, 1)), x, y)
    assert r.verdict == "exploding"
    assert r.recommendation["2.weight"] == "kaiming_normal(mode=fan_out, nonlinearity=relu)"
    r = nninit.probe(cnn(lambda w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")), x, y)
    assert r.verdict == "healthy", r


@pytest.mark.parametrize("seed", SEEDS)
def test_resnet_with_batchnorm_is_healthy(seed):
    torch.manual_seed(seed)
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    r = nninit.probe(resnet(), x, y)
    assert r.verdict == "healthy", r
    assert len(r.stream) == 8  # the residual blocks, reported apart


@pytest.mark.parametrize("seed", SEEDS)
def test_pre_norm_transformer(seed):
    torch.manual_seed(seed)
    tm, tokens = Transformer(), torch.randint(0, 100, (8, 16))
    r = nninit.probe(tm, tokens, tokens)
    assert r.verdict == "healthy", r
    assert len(r.stream) == 6 and r.stream_growth > 1  # the stream grows; not called exploding
    for p in tm.parameters():
        nn.init.normal_(p, std=1.0)
    r = nninit.probe(tm, tokens, tokens)
    assert r.verdict != "healthy" and set(r.verdicts) & {"exploding", "saturated"}
    assert r.first_bad in {l["name"] for l in r.layers}


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_gets_rows_and_a_verdict(seed):
    torch.manual_seed(seed)
    r = nninit.probe(Recurrent(), torch.randn(4, 7, 16))
    assert [l["kind"] for l in r.layers] == ["LSTM", "Linear"]
    assert r.verdict in {"healthy", "vanishing", "exploding", "symmetric"}


def test_rows_fields_and_outputs(tmp_path):
    x, y = mlp_batch(0)
    m = mlp(nn.ReLU, depth=3, width=32)
    x = x[:, :32]
    r = nninit.probe(m, x, y)
    d = r.to_dict()
    assert json.loads(r.to_json()) == d
    assert set(d) >= {"verdict", "verdicts", "recommendation", "layers", "reason", "first_bad", "stream"}
    row = d["layers"][0]
    for k in ["name", "kind", "fan_in", "fan_out", "act_mean", "act_std", "dead_frac", "saturated_frac",
              "backward_norm", "grad_norm", "grad_rel", "symmetry"]:
        assert k in row
    assert (row["name"], row["kind"], row["fan_in"], row["fan_out"], row["activation"]) == ("0", "Linear", 32, 32, "relu")
    assert "verdict:" in str(r) and "Linear" in str(r)
    svg = open(r.plot(str(tmp_path / "p.svg"))).read()
    assert svg.startswith("<svg") and "polyline" in svg


def test_model_left_exactly_as_it_was():
    torch.manual_seed(0)
    m = resnet()
    m.eval()
    m.fc_flag = None
    for p in list(m.parameters())[:3]:
        p.requires_grad_(False)
    m[0].weight.grad = torch.full_like(m[0].weight, 3.0)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    flags = [p.requires_grad for p in m.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in m.parameters()]
    m.train()  # BatchNorm in training mode would update its running statistics
    with torch.no_grad():
        nninit.probe(m, torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,)))
    assert m.training and all(x.training for x in m.modules())
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert [p.requires_grad for p in m.parameters()] == flags
    for p, g in zip(m.parameters(), grads):
        assert (p.grad is None and g is None) or torch.equal(p.grad, g)
    assert not any(mod._forward_hooks for mod in m.modules())


def test_bad_input_is_a_clear_error_and_hooks_are_removed():
    m = mlp(nn.ReLU, depth=2, width=8)
    with pytest.raises(RuntimeError, match="nninit.probe: the model's forward failed"):
        nninit.probe(m, torch.randn(4, 5))  # wrong width: the model's own error, with context
    assert not any(mod._forward_hooks for mod in m.modules())
    with pytest.raises(ValueError, match="NaN or inf"):
        nninit.probe(m, torch.full((4, 8), math.nan))
    with pytest.raises(ValueError, match="no parameters"):
        nninit.probe(nn.ReLU(), torch.randn(4, 8))
    with pytest.raises(ValueError, match="scalar"):
        nninit.probe(m, torch.randn(4, 8), loss_fn=lambda out, t: out)
    # dict inputs and a custom loss work
    r = nninit.probe(m, {"input": torch.randn(4, 8)}, torch.zeros(4, 10), loss_fn=nn.functional.mse_loss)
    assert r.verdict in {"healthy", "vanishing", "exploding", "symmetric"}
