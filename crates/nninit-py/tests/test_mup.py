"""muP and CompleteP (nninit.mup) and the coordinate check: the acceptance
runs (an MLP of 4 Linear layers and a 2-layer transformer with a fixed head
dim, widths 64 to 1024, base 64, Adam lr 1e-2, 5 steps on a fixed batch,
seed 0), the param groups against microsoft/mup's MuAdam/MuSGD on the same
model with a MuReadout head, CompleteP's factors, and bad input."""

import math

import pytest

torch = pytest.importorskip("torch")
mup_ref = pytest.importorskip("mup")

import nninit  # noqa: E402
from torch import nn  # noqa: E402

WIDTHS = [64, 128, 256, 512, 1024]


def mlp(w, readout=nn.Linear):
    return nn.Sequential(nn.Linear(32, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(),
                         readout(w, 10))


class Block(nn.Module):
    def __init__(self, d, head_dim=16):
        super().__init__()
        self.n_head, self.head_dim = d // head_dim, head_dim
        self.ln_1 = nn.LayerNorm(d)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d, d) for _ in range(4))
        self.ln_2 = nn.LayerNorm(d)
        self.up_proj, self.down_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln_1(x)
        q, k, v = (p(h).view(b, t, self.n_head, self.head_dim).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.down_proj(nn.functional.gelu(self.up_proj(self.ln_2(x))))


class Tiny(nn.Module):
    """A 2-layer transformer whose head dim stays 16 (heads grow with width)."""

    def __init__(self, d, vocab=64, layers=2, readout=nn.Linear):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([Block(d) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = readout(d, vocab)

    def forward(self, idx):
        x = self.wte(idx)
        for blk in self.layers:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


def mlp_batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 32, generator=g), torch.randint(0, 10, (64,), generator=g)


def token_batch():
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 64, (8, 17), generator=g)
    return idx[:, :-1], idx[:, 1:]


@pytest.mark.parametrize("build, batch", [(mlp, mlp_batch), (Tiny, token_batch)], ids=["mlp", "transformer"])
def test_coord_check_mup_stable_torch_default_drifts(build, batch, tmp_path):
    torch.manual_seed(0)
    b = batch()
    good = nninit.coord_check(build, WIDTHS, b, steps=5, lr=1e-2, mup=True)
    bad = nninit.coord_check(build, WIDTHS, b, steps=5, lr=1e-2, mup=False)
    for name, per_width in good.coords.items():
        g = per_width[-1][-1] / per_width[0][-1]
        assert 0.5 < g < 2.0, f"muP: {name} changes {g:.3g}x from width 64 to 1024\n{good}"
    worst = max(max(pw[-1][-1] / pw[0][-1], pw[0][-1] / pw[-1][-1]) for pw in bad.coords.values())
    assert worst > 4.0, f"torch default: no layer drifts more than 4x\n{bad}"
    assert good.verdict == "stable", str(good)
    assert bad.verdict == "unstable" and bad.worst_layer in bad.coords and bad.worst_layer in bad.reason
    assert f"verdict: {good.verdict}" in str(good)
    import json

    j = json.loads(bad.to_json())
    assert j["verdict"] == "unstable" and j["widths"] == WIDTHS and j["max_growth"] == 2.0
    bad.plot(tmp_path / "coord.svg")
    svg = (tmp_path / "coord.svg").read_text()
    assert svg.startswith("<svg") and svg.count("<polyline") == len(bad.coords)


def lrs_by_name(model, opt):
    ids = {id(p): n for n, p in model.named_parameters()}
    return {ids[id(p)]: (g["lr"], g["weight_decay"]) for g in opt.param_groups for p in g["params"]}


def groups_by_name(groups):
    return {n: (g["lr"], g["weight_decay"]) for g in groups for n in g["names"]}


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
@pytest.mark.parametrize("arch", ["mlp", "transformer"])
def test_param_groups_equal_microsoft_mup(arch, optimizer):
    """Every lr and weight decay equals MuAdam/MuAdamW/MuSGD's on the same
    model with a MuReadout head, except the readout weight's: lr / m (the
    multiplier-free equivalent of MuReadout's 1/m forward factor)."""
    build = (lambda w, **k: mlp(w, **k)) if arch == "mlp" else (lambda w, **k: Tiny(w, **k))
    lr, wd = 1e-2, 0.1
    ref, ref_base = build(256, readout=mup_ref.MuReadout), build(64, readout=mup_ref.MuReadout)
    mup_ref.set_base_shapes(ref, ref_base)
    impl = {"adam": mup_ref.MuAdam, "adamw": mup_ref.MuAdamW, "sgd": mup_ref.MuSGD}[optimizer]
    want = lrs_by_name(ref, impl(ref.parameters(), lr=lr, weight_decay=wd))
    model = build(256)
    groups = nninit.mup(model, base=build(64), optimizer=optimizer, lr=lr, weight_decay=wd)
    got = groups_by_name(groups)
    readout = "6.weight" if arch == "mlp" else "lm_head.weight"
    assert set(got) == set(want)
    for name, (l, w) in want.items():
        if name == readout:
            # lr / m; weight decay rewritten for the multiplier-free weight
            # W_eff = W / m: x m (SGD, AdamW's decoupled decay), x m^2 (Adam's L2)
            assert got[name][0] == pytest.approx(lr / 4, rel=1e-12), name
            assert got[name][1] == pytest.approx(wd * (16 if optimizer == "adam" else 4), rel=1e-12), name
            continue
        assert got[name] == pytest.approx((l, w), rel=1e-12), f"{name}: nninit {got[name]}, MuAdam {(l, w)}"
    # every parameter is in exactly one group, and torch accepts the groups
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[optimizer](groups, lr=lr)


def test_mup_init_matches_set_base_shapes():
    """Hidden weights keep torch's 1/fan_in init; the readout's std is
    MuReadout's effective one (std / sqrt(m)); biases are drawn at their base
    fan_in (set_base_shapes' rescale_linear_bias). 262144-element readout:
    std within 3% (the sample std's relative standard error is 0.14%)."""
    m = Tiny(1024, vocab=256)
    nninit.mup(m, base=Tiny(64, vocab=256), lr=1e-2)
    width_mult = 16
    head = m.lm_head.weight.detach().double()
    want = 1 / math.sqrt(3 * 1024) / math.sqrt(width_mult)
    assert float(head.std()) == pytest.approx(want, rel=0.03)
    assert float(head.abs().max()) <= 1 / math.sqrt(1024 * width_mult)
    # a hidden bias: U(+-1/sqrt(base fan_in = 64))
    b = m.layers[0].o_proj.bias.detach().double()
    assert 1 / math.sqrt(1024) < float(b.abs().max()) <= 1 / math.sqrt(64)
    w = m.layers[0].o_proj.weight.detach().double()
    assert float(w.std()) == pytest.approx(1 / math.sqrt(3 * 1024), rel=0.03)
    z = Tiny(256)
    nninit.mup(z, base=Tiny(64), lr=1e-2, readout="zero")
    assert bool((z.lm_head.weight == 0).all())


def test_completep_factors():
    """alpha = 1 (CompleteP) and 0.5 (depth-muP), width 256 over base 64
    (m_N = 4), 4 blocks over 2 (m_L = 2): hidden weights lr x m_N^-1
    m_L^(alpha-1), wd x m_N; block norms and biases lr x m_L^(alpha-1), wd 0;
    embeddings and the final norm the base lr; eps x m_N^-1 m_L^-alpha."""
    lr, wd = 1e-2, 0.1
    for alpha in (1.0, 0.5):
        model = Tiny(256, layers=4)
        with pytest.warns(UserWarning, match="residual"):
            groups = nninit.mup(model, base=Tiny(64, layers=2), lr=lr, weight_decay=wd, depth_alpha=alpha,
                                optimizer="adamw")
        by = {n: g for g in groups for n in g["names"]}
        mn, ml = 4.0, 2.0
        hid = by["layers.3.q_proj.weight"]
        assert hid["lr"] == pytest.approx(lr / mn * ml ** (alpha - 1), rel=1e-12)
        assert hid["weight_decay"] == pytest.approx(wd * mn, rel=1e-12)
        norm = by["layers.1.ln_1.weight"]
        assert norm["lr"] == pytest.approx(lr * ml ** (alpha - 1), rel=1e-12) and norm["weight_decay"] == 0
        assert by["ln_f.weight"]["lr"] == lr and by["ln_f.weight"]["weight_decay"] == 0
        assert by["wte.weight"]["lr"] == lr
        for g in groups:
            assert g["eps"] == pytest.approx(1e-8 / mn / ml ** alpha, rel=1e-12)
            assert g["residual_multiplier"] == pytest.approx(ml ** -alpha, rel=1e-12)


def snapshot(m):
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def untouched(m, before):
    return all(torch.equal(v, before[k]) for k, v in m.state_dict().items())


def test_bad_input_is_named_and_leaves_the_model_untouched():
    m = Tiny(128)
    before = snapshot(m)
    with pytest.raises(nninit.NninitError, match=r"base size 256 > the model's 128"):
        nninit.mup(m, base=Tiny(256), lr=1e-2)
    with pytest.raises(nninit.NninitError, match=r"wte\.weight.*same architecture"):
        nninit.mup(m, base={n: list(p.shape) for n, p in mlp(64).named_parameters()}, lr=1e-2)
    with pytest.raises(nninit.NninitError, match="rank"):
        nninit.mup(m, base={**{n: list(p.shape) for n, p in Tiny(64).named_parameters()}, "wte.weight": [64]}, lr=1e-2)
    with pytest.raises(nninit.NninitError, match="optimizer"):
        nninit.mup(m, base=Tiny(64), lr=1e-2, optimizer="lion")
    with pytest.raises(nninit.NninitError, match="lr"):
        nninit.mup(m, base=Tiny(64), lr=-1.0)
    with pytest.raises(nninit.NninitError, match="megatrom"):
        nninit.mup(m, base=Tiny(64), lr=1e-2, scheme="megatrom")
    assert untouched(m, before)
    # tied input/output embeddings
    t = Tiny(128)
    t.lm_head.weight = t.wte.weight
    before = snapshot(t)
    with pytest.raises(nninit.NninitError, match="tied"):
        nninit.mup(t, base=Tiny(64), lr=1e-2)
    assert untouched(t, before)


def test_growing_head_dim_is_refused():
    class Attn(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.num_heads, self.head_dim = 4, d // 4
            self.q_proj = nn.Linear(d, d)

    with pytest.raises(nninit.NninitError, match="head dimension"):
        nninit.mup(Attn(256), base=Attn(64), lr=1e-2)


def test_base_as_widths_dict_equals_base_model():
    a, b = Tiny(256), Tiny(256)
    ga = groups_by_name(nninit.mup(a, base=Tiny(64), lr=1e-2))
    gb = groups_by_name(nninit.mup(b, base={256: 64, 1024: 256}, lr=1e-2))
    assert ga == gb
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_mup_over_a_fixed_std_scheme_scales_hidden_and_readout():
    """Under megatron (fixed sigma 0.02) muP's variances relative to the base
    come from scaling: hidden weights sigma/sqrt(m) (Megatron's own use_mup),
    the readout sigma/m, the embedding sigma. Width 1024 over 64 (m = 16),
    tensors of >= 16384 elements: std within 3%."""
    m = Tiny(1024, vocab=256)
    nninit.mup(m, base=Tiny(64, vocab=256), lr=1e-2, scheme="megatron")
    std = {n: float(p.detach().double().std()) for n, p in m.named_parameters() if p.numel() >= 16384}
    assert std["layers.0.q_proj.weight"] == pytest.approx(0.02 / 4, rel=0.03)
    assert std["layers.1.down_proj.weight"] == pytest.approx(0.02 / math.sqrt(2 * 2) / 4, rel=0.03)
    assert std["lm_head.weight"] == pytest.approx(0.02 / 16, rel=0.03)
    assert std["wte.weight"] == pytest.approx(0.02, rel=0.03)
    assert bool((m.layers[0].ln_1.weight == 1).all()) and bool((m.layers[0].q_proj.bias == 0).all())
    plan_row = [e for e in nninit.plan(Tiny(64), scheme="megatron").entries if e.name == "lm_head.weight"][0]
    assert plan_row.role == "lm_head"
