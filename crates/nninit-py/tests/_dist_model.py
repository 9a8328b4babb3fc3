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
