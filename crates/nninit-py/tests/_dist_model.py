"""The model of the sharding test: dimensions that do not divide by 2 or 4
(7, 10, 6, 5, 11), a norm layer, an embedding with a padding row (zeroed by
a region write: on each rank only the part of row 7 its shard holds), and a
rule with a whole-tensor initializer."""

import math

import torch
from torch import nn

SEED = 7
RULES = [("2.weight", "orthogonal"), ("4.weight", "trunc_normal(std=0.5)")]


def build():
    return nn.Sequential(nn.Linear(7, 10), nn.ReLU(), nn.Linear(10, 6), nn.LayerNorm(6), nn.Linear(6, 5),
                         nn.Embedding(11, 6, padding_idx=7))


# the transformers causal-LM families of the acceptance list, tiny: hidden 64,
# 2 layers, vocab 500 (shared by test_replay.py and the sharding test)
FAMILIES = {
    "llama": {}, "mistral": {}, "qwen2": {}, "qwen3": {}, "gemma": {"head_dim": 16}, "gemma2": {"head_dim": 16},
    "gpt2": {}, "gpt_neox": {}, "olmo2": {}, "mixtral": {}, "phi": {}, "opt": {},
}
TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            vocab_size=500, n_embd=64, n_layer=2, n_head=4, ffn_dim=128, word_embed_proj_dim=64,
            max_position_embeddings=128, n_positions=128, bos_token_id=1, eos_token_id=2, pad_token_id=0)


def tiny(family):
    from transformers import AutoConfig
    return AutoConfig.for_model(family, **TINY, **FAMILIES[family])


def hf_models():
    """Each family's tiny model (its own _init_weights is replayed), or {}
    without transformers."""
    try:
        from transformers import AutoModelForCausalLM
    except ImportError:
        return {}
    return {f: AutoModelForCausalLM.from_config(tiny(f)) for f in FAMILIES}


class Planned(nn.Module):
    """A user's module with its own reset_parameters (kaiming_uniform_, a
    tensor.normal_, a zeroed row, zeros_): replayed, recorded on an unsharded
    twin when sharded."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(10, 6))
        self.v = nn.Parameter(torch.empty(7, 4))
        self.b = nn.Parameter(torch.empty(10))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.w, a=math.sqrt(5))
        self.v.data.normal_(mean=0.0, std=0.02)
        self.v.data[3].zero_()
        nn.init.zeros_(self.b)


def own_model():
    return nn.Sequential(nn.Linear(6, 10), Planned())


class RMSNorm(nn.Module):
    """torchtitan's and Megatron's norm: a `weight` of ones."""

    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))


class TitanBlock(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.attention = nn.Module()
        for n, (o, i) in {"wq": (d, d), "wk": (d // 2, d), "wv": (d // 2, d), "wo": (d, d)}.items():
            setattr(self.attention, n, nn.Linear(i, o, bias=False))
        self.feed_forward = nn.Module()
        for n, (o, i) in {"w1": (h, d), "w2": (d, h), "w3": (h, d)}.items():
            setattr(self.feed_forward, n, nn.Linear(i, o, bias=False))
        self.attention_norm, self.ffn_norm = RMSNorm(d), RMSNorm(d)


class Titan(nn.Module):
    """torchtitan's llama3 module tree (tok_embeddings, layers.N.attention.wq ..
    feed_forward.w3, norm, output)."""

    def __init__(self, d=128, h=256, layers=3, vocab=1000):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, d)
        self.layers = nn.ModuleDict({str(i): TitanBlock(d, h) for i in range(layers)})
        self.norm = RMSNorm(d)
        self.output = nn.Linear(d, vocab, bias=False)


class MegatronLayer(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.self_attention = nn.Module()
        self.self_attention.linear_qkv = nn.Linear(d, 3 * d)
        self.self_attention.linear_proj = nn.Linear(d, d)
        self.pre_mlp_layernorm = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.linear_fc1 = nn.Linear(d, h)
        self.mlp.linear_fc2 = nn.Linear(h, d)


class Megatron(nn.Module):
    """Megatron-core GPTModel's module tree (embedding.word_embeddings,
    decoder.layers.N.self_attention.linear_qkv .. mlp.linear_fc2,
    decoder.final_layernorm, output_layer)."""

    def __init__(self, d=128, h=512, layers=3, vocab=1000, positions=256):
        super().__init__()
        self.embedding = nn.Module()
        self.embedding.word_embeddings = nn.Embedding(vocab, d)
        self.embedding.position_embeddings = nn.Embedding(positions, d)
        self.decoder = nn.Module()
        self.decoder.layers = nn.ModuleList([MegatronLayer(d, h) for _ in range(layers)])
        self.decoder.final_layernorm = nn.LayerNorm(d)
        self.output_layer = nn.Linear(d, vocab, bias=False)


# (model, scheme) pairs of the sharded scheme test
SCHEME_CASES = [("titan", "torchtitan"), ("megatron", "megatron"), ("titan", "olmo(method=llama_depth)"),
                ("megatron", "neox(init_method=small_init, output_layer_init_method=wang_init)")]
try:
    import transformers  # noqa: F401

    SCHEME_CASES += [("llama", "torchtitan(depth_init=false)"), ("gpt2", "nanogpt")]
except ImportError:
    pass


def stack_model(name):
    if name in ("llama", "gpt2"):
        from transformers import AutoModelForCausalLM
        return AutoModelForCausalLM.from_config(tiny(name))
    return {"titan": lambda: Titan(d=48, h=80, layers=2, vocab=101),
            "megatron": lambda: Megatron(d=48, h=80, layers=2, vocab=101, positions=33)}[name]()
