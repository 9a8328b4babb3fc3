"""The model of the sharding test: dimensions that do not divide by 2 or 4
(7, 10, 6, 5, 11), a norm layer, an embedding with a padding row (zeroed by
a region write: on each rank only the part of row 7 its shard holds), and a
rule with a whole-tensor initializer."""

from torch import nn

SEED = 7
RULES = [("2.weight", "orthogonal"), ("4.weight", "trunc_normal(std=0.5)")]


def build():
    return nn.Sequential(nn.Linear(7, 10), nn.ReLU(), nn.Linear(10, 6), nn.LayerNorm(6), nn.Linear(6, 5),
                         nn.Embedding(11, 6, padding_idx=7))


def hf_model():
    """A tiny transformers Llama (vocab 500, hidden 64, 2 layers, padding row 0),
    or None without transformers: its own _init_weights is replayed."""
    try:
        from transformers import AutoConfig, AutoModelForCausalLM
    except ImportError:
        return None
    cfg = AutoConfig.for_model("llama", hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                               num_attention_heads=4, num_key_value_heads=2, vocab_size=500, pad_token_id=0)
    return AutoModelForCausalLM.from_config(cfg)
