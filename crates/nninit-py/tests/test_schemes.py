"""The LLM stacks' schemes (decided by parameter role) on a HF Llama, a HF
GPT-2, a torchtitan-style and a Megatron-style module: each parameter's
role and layer in the plan, its sample std within 3% of the scheme's formula
(tensors of >= 16384 elements: the std of n normal draws has a relative
standard error of 1/sqrt(2n) <= 0.55%, so 3% is over 5 standard errors;
seed 11 fixed), truncation bounds respected exactly, constants exact. The
expected formulas are written out here from the stacks' sources
(../shared/SCHEMES.md), independently of the Rust code."""

import math
import os
import sys

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import nninit  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _dist_model import Megatron, Titan  # noqa: E402

SEED = 11
D, H, L, V = 128, 256, 3, 1000


def llama():
    cfg = transformers.LlamaConfig(vocab_size=V, hidden_size=D, intermediate_size=H, num_hidden_layers=L,
                                   num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)
    return transformers.LlamaForCausalLM(cfg)


def gpt2():
    cfg = transformers.GPT2Config(vocab_size=V, n_embd=D, n_layer=L, n_head=4, n_positions=256,
                                  bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(cfg)


MODELS = {"llama": llama, "gpt2": gpt2, "titan": lambda: Titan(d=D, h=H, layers=L, vocab=V),
          "megatron": lambda: Megatron(d=D, h=2 * H, layers=L, vocab=V)}

# module name (with its parent where that decides) -> role
ROLE = {"embed_tokens": "embedding", "wte": "embedding", "tok_embeddings": "embedding", "word_embeddings": "embedding",
        "wpe": "position_embedding", "position_embeddings": "position_embedding",
        "q_proj": "q", "k_proj": "k", "v_proj": "v", "wq": "q", "wk": "k", "wv": "v",
        "c_attn": "qkv", "linear_qkv": "qkv", "o_proj": "attn_out", "wo": "attn_out", "linear_proj": "attn_out",
        "attn.c_proj": "attn_out", "gate_proj": "mlp_gate", "w1": "mlp_gate", "up_proj": "mlp_up", "w3": "mlp_up",
        "c_fc": "mlp_up", "linear_fc1": "mlp_up", "down_proj": "mlp_down", "w2": "mlp_down", "mlp.c_proj": "mlp_down",
        "linear_fc2": "mlp_down", "lm_head": "lm_head", "output": "lm_head", "output_layer": "lm_head"}


def expected_role(name):
    parts = name.split(".")
    if parts[-1] == "bias":
        return "bias"
    mod = parts[-2]
    if "norm" in mod or mod.startswith("ln_"):
        return "norm"
    return ROLE.get(".".join(parts[-3:-1]), ROLE.get(mod))


def expected_layer(name):
    parts = name.split(".")
    for a, b in zip(parts, parts[1:]):
        if a in ("layers", "h") and b.isdigit():
            return int(b)
    return None


OUT_SIDE = {"attn_out", "mlp_down"}


def rule(scheme, role, i, fan_in):
    """(kind, std, bound) of the scheme's formula: kind normal/trunc/const."""
    if role == "norm":
        return ("const", 1.0, None)
    if role == "bias":
        return ("const", 0.0, None)
    s = 0.02
    if scheme.startswith("megatron"):
        sigma, mult = (0.01, 1.0) if "sigma=0.01" in scheme else (0.02, 2.0)
        return ("normal", sigma / math.sqrt(mult * L) if role in OUT_SIDE else sigma, None)
    if scheme.startswith("torchtitan"):
        if role in ("embedding", "position_embedding"):
            return ("normal", 1.0, None)
        if role == "lm_head":
            return ("trunc", D ** -0.5, 3 * D ** -0.5)
        if role in ("attn_out", "mlp_down", "mlp_up"):
            return ("trunc", s / math.sqrt(2 * (i + 1)) if "false" not in scheme else s / math.sqrt(2 * L), 2.0)
        return ("trunc", s, 2.0)
    if scheme.startswith("olmo"):
        method = scheme.split("method=")[1].rstrip(")")
        if role in ("embedding", "position_embedding") and method != "normal":
            return ("normal", 1.0, None)  # a plain normal in llama, llama_depth and fan_in
        if method == "normal":
            std = s
        elif method == "fan_in":
            std = fan_in ** -0.5
        elif role == "lm_head":
            std = D ** -0.5
        elif role in ("attn_out", "mlp_up", "mlp_down"):
            std = s / math.sqrt(2 * (i + 1)) if method == "llama_depth" else s / math.sqrt(2 * L)
        else:
            std = s
        return ("trunc", std, 3 * std)
    if scheme.startswith("neox"):
        if "small_init" in scheme:
            std = 2 / (L * math.sqrt(D)) if role in OUT_SIDE else math.sqrt(2 / (5 * D))
        else:
            std = s / math.sqrt(2 * L) if role in OUT_SIDE else s
        return ("normal", std, None)
    assert scheme == "nanogpt"
    return ("normal", s / math.sqrt(2 * L) if role in OUT_SIDE else s, None)


def trunc_std(std, bound):
    c = bound / std
    phi = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(c / math.sqrt(2))
    return std * math.sqrt(1 - 2 * c * phi / mass)


SCHEMES = ["megatron", "megatron(sigma=0.01, multiplier=1)", "torchtitan", "torchtitan(depth_init=false)",
           "olmo(method=normal)", "olmo(method=llama)", "olmo(method=llama_depth)", "olmo(method=fan_in)", "neox",
           "neox(init_method=small_init, output_layer_init_method=wang_init)", "nanogpt"]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_scheme_follows_its_formula(model, scheme):
    m = MODELS[model]()
    plan = nninit.plan(m, scheme=scheme)
    assert plan.scheme == scheme  # the expression round-trips
    nninit.init_module(m, seed=SEED, scheme=scheme)
    params = dict(m.named_parameters())
    mods = dict(m.named_modules())
    assert [e.name for e in plan.entries] == list(params)
    checked = 0
    for e in plan.entries:
        role, layer = expected_role(e.name), expected_layer(e.name)
        assert (e.role, e.layer) == (role, layer), e.name
        assert e.source == "scheme"
        w = params[e.name].detach().double()
        mod = mods[e.name.rsplit(".", 1)[0]]
        fan_in = w.shape[0] if type(mod).__name__ == "Conv1D" else (w.shape[1] if w.dim() == 2 else None)
        kind, std, bound = rule(scheme, role, layer, fan_in)
        if kind == "const":
            assert bool((w == std).all()), f"{e.name}: not all {std}"
            continue
        if bound is not None:
            assert float(w.abs().max()) <= bound, f"{e.name}: {float(w.abs().max())} beyond {bound}"
        if w.numel() >= 16384:
            want = trunc_std(std, bound) if bound is not None else std
            got = float(w.std())
            assert abs(got / want - 1) < 0.03, f"{e.name} ({role}, layer {layer}): std {got:.5g}, formula {want:.5g}"
            assert abs(float(w.mean())) < 4 * want / math.sqrt(w.numel()), e.name
            checked += 1
    assert checked >= 8


def test_plan_json_rows_carry_role_and_layer():
    import json

    rows = json.loads(nninit.plan(llama(), scheme="torchtitan").to_json())["entries"]
    by = {r["name"]: r for r in rows}
    assert by["model.layers.2.self_attn.o_proj.weight"]["role"] == "attn_out"
    assert by["model.layers.2.self_attn.o_proj.weight"]["layer"] == 2
    assert by["lm_head.weight"]["layer"] is None and by["lm_head.weight"]["role"] == "lm_head"
    assert by["model.layers.1.mlp.up_proj.weight"]["init"] == "trunc_normal(mean=0, std=0.01, a=-2, b=2)"
    assert json.loads(nninit.plan(llama(), scheme="torchtitan").to_json())["scheme"] == "torchtitan"


def test_rules_win_over_the_scheme():
    m = llama()
    plan = nninit.plan(m, scheme="megatron", rules={"lm_head.weight": "zeros"})
    head = [e for e in plan.entries if e.name == "lm_head.weight"][0]
    assert head.source == "rule" and str(head.init) == "zeros" and head.role == "lm_head"


def test_values_are_the_named_streams():
    """A scheme only picks the initializer: the values are `nninit sample`'s
    for that expression and name (pinned: the first value of one tensor)."""
    m = Titan(d=D, h=H, layers=L, vocab=V)
    nninit.init_module(m, seed=SEED, scheme="torchtitan")
    w = m.layers["1"].attention.wo.weight.detach().numpy()
    want = nninit.sample("trunc_normal(std=0.01, a=-2, b=2)", [D, D], seed=SEED, name="layers.1.attention.wo.weight")
    assert (w == want).all()


class Ambiguous(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_embeddings = torch.nn.Embedding(50, 16)
        self.layers = torch.nn.ModuleList([torch.nn.Module()])
        self.layers[0].proj = torch.nn.Linear(16, 16)
        self.output = torch.nn.Linear(16, 50, bias=False)


def test_ambiguous_name_is_an_error_and_roles_fix_it():
    m = Ambiguous()
    before = m.layers[0].proj.weight.detach().clone()
    with pytest.raises(nninit.NninitError, match=r"layers\.0\.proj\.weight.*`proj`") as e:
        nninit.init_module(m, scheme="megatron")
    assert "roles" in str(e.value) and "attn_out" in str(e.value)
    assert torch.equal(m.layers[0].proj.weight, before), "the model was touched"
    nninit.init_module(m, scheme="megatron", roles={"layers.*.proj.*": "attn_out"})
    plan = nninit.plan(m, scheme="megatron", roles={"layers.*.proj.weight": "attn_out"})
    row = [e for e in plan.entries if e.name == "layers.0.proj.weight"][0]
    assert row.role == "attn_out" and row.layer == 0
    assert str(row.init) == f"normal(mean=0, std={0.02 / math.sqrt(2)!r})", str(row.init)
    with pytest.raises(nninit.NninitError, match="attn_output"):
        nninit.plan(m, scheme="megatron", roles={"layers.*.proj.weight": "attn_output"})
    with pytest.raises(nninit.NninitError, match="matches no parameter"):
        nninit.plan(m, scheme="megatron", roles={"layers.*.proj.weight": "attn_out", "nothing.*": "q"})


@pytest.mark.parametrize("bad, says", [
    ("megatrom", "megatron"), ("torchtitan(depth=false)", "depth_init"), ("olmo(method=mitchell)", "llama_depth"),
    ("neox(init_method=foo)", "wang_init"), ("megatron(sigma=-0.02)", "-0.02"), ("torch(sigma=1)", "torch"),
])
def test_bad_scheme_is_named(bad, says):
    m = llama()
    before = {k: v.detach().clone() for k, v in m.state_dict().items()}
    with pytest.raises(nninit.NninitError, match=re_escape(says)):
        nninit.init_module(m, scheme=bad)
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k])


def re_escape(s):
    import re
    return re.escape(s)


def test_init_checkpoint_with_a_scheme_equals_init_module(tmp_path):
    """The native writer's checkpoint of a Llama config under a scheme holds,
    tensor for tensor, what init_module writes into the transformers model
    of that config with the same scheme and seed (roles from names alone)."""
    import json

    from safetensors.torch import load_file

    m = llama()
    cfg = m.config.to_dict()
    cfg["torch_dtype"] = "float32"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    for scheme in ("torchtitan", "olmo(method=llama_depth)", "megatron"):
        out = tmp_path / scheme.replace("(", "_").replace(")", "").replace("=", "_")
        nninit.init_checkpoint(tmp_path / "config.json", out, seed=SEED, scheme=scheme)
        got = load_file(str(out / "model.safetensors"))
        want = nninit.init_module(llama(), seed=SEED, scheme=scheme).state_dict()
        assert set(got) == set(want), scheme
        for k, v in want.items():
            assert torch.equal(got[k], v), f"{scheme}: {k} differs"
    with pytest.raises(nninit.NninitError, match="module class"):
        nninit.init_checkpoint(tmp_path / "config.json", tmp_path / "t", scheme="torch")
    assert not (tmp_path / "t").exists()


def test_moe_roles_on_mixtral():
    """Mixtral's router and experts (fused gate_up_proj/down_proj tensors in
    recent transformers, w1/w2/w3 Linears in older ones) get MoE roles;
    Megatron draws expert down projections at sigma/sqrt(2L) like the dense
    ones; a fused gate_up is refused where gate and up differ (torchtitan)."""
    cfg = transformers.MixtralConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, num_key_value_heads=2, num_local_experts=4,
                                     num_experts_per_tok=2)
    m = transformers.MixtralForCausalLM(cfg)
    plan = nninit.plan(m, scheme="megatron")
    roles = {e.name: e.role for e in plan.entries}
    experts = [n for n in roles if ".experts." in n]
    assert experts and all(roles[n] in ("expert_gate_up", "expert_gate", "expert_up", "expert_down") for n in experts)
    assert "router" in roles.values()
    down = [e for e in plan.entries if e.role == "expert_down"][0]
    assert str(down.init) == f"normal(mean=0, std={0.02 / math.sqrt(4)!r})"
    if "expert_gate_up" in roles.values():
        with pytest.raises(nninit.NninitError, match="different stds"):
            nninit.plan(m, scheme="torchtitan")
    else:
        nninit.plan(m, scheme="torchtitan")
