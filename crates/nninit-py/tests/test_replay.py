"""A module's own initialization code on nninit's streams: a user's module
(its reset_parameters replayed, random fills intercepted) and every
transformers causal-LM family of the acceptance list (its _init_weights)."""

import math
import os
import sys

import nninit
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _dist_model import FAMILIES, Planned, tiny  # noqa: E402


class Mine(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(8, 6))
        self.v = nn.Parameter(torch.empty(5, 4))
        self.b = nn.Parameter(torch.empty(8))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.w, a=math.sqrt(5))
        self.v.data.normal_(mean=0.0, std=0.02)
        self.v.data[0].zero_()
        nn.init.zeros_(self.b)
        self.b.data[2:4].fill_(1.0)


def test_a_modules_own_reset_parameters_is_replayed_on_nninits_streams():
    m = nn.Sequential(nn.Linear(4, 8), Mine())
    p = {e.name: e for e in nninit.plan(m, seed=3).entries}
    assert p["1.w"].source == "recorded" and p["1.w"].why.startswith("recorded from Mine.reset_parameters")
    assert p["1.w"].init == nninit.Init.kaiming_uniform(math.sqrt(5), "fan_in", nonlinearity="leaky_relu")
    assert p["1.v"].zero_row == 0 and p["0.weight"].source == "scheme"
    nninit.init_module(m, seed=3)
    # whole-tensor fills equal `nninit sample` of the same expression and name
    w = m[1].w.detach().numpy()
    assert np.array_equal(w, nninit.sample(str(p["1.w"].init), (8, 6), seed=3, name="1.w"))
    v = m[1].v.detach().numpy()
    assert np.array_equal(v[1:], nninit.sample("normal(std=0.02)", (5, 4), seed=3, name="1.v")[1:])
    assert (v[0] == 0).all()
    assert m[1].b.detach().tolist() == [0, 0, 1, 1, 0, 0, 0, 0]
    # a rule decides a parameter the module's code would set: the code leaves it alone
    nninit.init_module(m, seed=3, rules=[("1.v", "ones")])
    assert bool((m[1].v == 1).all())
    assert np.array_equal(m[1].w.detach().numpy(), w)


def test_a_random_operation_without_counterpart_is_refused_with_nothing_written():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(4))
            self.u = nn.Parameter(torch.ones(3))

        def reset_parameters(self):
            nn.init.normal_(self.u)
            with torch.no_grad():
                self.w.copy_(torch.randperm(4).float())

    class Bern(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(4))

        def reset_parameters(self):
            self.w.data.bernoulli_(0.5)

    b = nn.Sequential(nn.Linear(2, 2), Bad())
    before = {k: v.clone() for k, v in b.state_dict().items()}
    with pytest.raises(nninit.NninitError, match="Bad.reset_parameters calls `torch.randperm`"):
        nninit.init_module(b)
    assert all(torch.equal(before[k], v) for k, v in b.state_dict().items()), "nothing written"
    with pytest.raises(nninit.NninitError, match="`bernoulli_` on parameter `w`"):
        nninit.init_module(Bern())
    # with a rule for it, the module's own code is not needed
    nninit.init_module(Bern(), rules=[("w", "zeros")])


transformers = pytest.importorskip("transformers")



@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_gets_transformers_own_distributions(family):
    """Tiny config (hidden 64, 2 layers, vocab 500). Parameters filled with
    NaN, then init_module: no NaN; constants equal transformers' own init
    exactly; random parameters (numel >= 4096) within 5% of the std
    transformers' from_config gives; loss at init within 0.15 of ln(500)."""
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    m = AutoModelForCausalLM.from_config(tiny(family))
    ref = {k: v.detach().clone() for k, v in m.state_dict().items()}
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(float("nan"))
    nninit.init_module(m, seed=0)
    for k, v in m.state_dict().items():
        if not v.is_floating_point():
            continue
        assert not torch.isnan(v).any(), k
        r = ref[k]
        if r.dim() == 2:
            # rows transformers zeroes (the padding row, also through a tied head) are zero here too
            assert torch.equal((r == 0).all(dim=1), (v == 0).all(dim=1)), k
        if r.numel() >= 4096 and float(r.std()) > 0:
            ratio = float(v.std() / r.std())
            assert abs(ratio - 1) <= 0.05, (k, ratio)
        elif float(r.float().std()) == 0 or r.numel() == 1:
            assert torch.equal(v, r), k
    x = torch.randint(0, 500, (2, 16), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        loss = float(m(x, labels=x).loss)
    assert abs(loss - math.log(500)) < 0.15, loss
    # the plan says where each value came from
    plan = nninit.plan(m)
    assert plan.scheme == "hf" and all(e.source == "recorded" for e in plan.entries)


def test_meta_device_then_to_empty_gives_the_cpu_models_bytes():
    from transformers import AutoModelForCausalLM

    cfg = tiny("llama")
    cfg.tie_word_embeddings = True
    a = AutoModelForCausalLM.from_config(cfg)
    nninit.init_module(a, seed=1)
    with torch.device("meta"):
        b = AutoModelForCausalLM.from_config(cfg)
    b = b.to_empty(device="cpu")  # parameters and buffers hold garbage now
    nninit.init_module(b, seed=1)
    sa, sb = a.state_dict(), b.state_dict()
    assert set(sa) == set(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    # rotary buffers recomputed by the model's own code, ties restored
    assert torch.equal(a.model.rotary_emb.inv_freq, b.model.rotary_emb.inv_freq)
    assert b.lm_head.weight is b.model.embed_tokens.weight


@pytest.mark.parametrize("family", ["qwen2", "qwen3", "gemma", "mixtral", "olmo2", "phi", "opt", "llama", "gpt2"])
def test_init_checkpoint_of_any_family_loads_and_equals_init_module(family, tmp_path):
    """Families the native writer does not know go through transformers (the
    model built on the meta device, initialized by init_module, written by the
    native writer); llama and gpt2 stay native. Either way from_pretrained
    loads with no missing or unexpected keys, and the state dict equals
    init_module of the same config and seed bit for bit."""
    from transformers import AutoModelForCausalLM

    cfg = tiny(family)
    cdir = tmp_path / "cfg"
    cdir.mkdir()
    cfg.to_json_file(str(cdir / "config.json"))
    out = tmp_path / "out"
    wrote = nninit.init_checkpoint(cdir / "config.json", out, seed=5)
    assert "config.json" in wrote and any(f.endswith(".safetensors") for f in wrote)
    loaded, info = AutoModelForCausalLM.from_pretrained(str(out), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    ref = AutoModelForCausalLM.from_config(cfg)
    nninit.init_module(ref, seed=5)
    a, b = loaded.state_dict(), ref.state_dict()
    for k in b:
        assert torch.equal(a[k], b[k]), k


def test_an_unknown_model_type_is_named(tmp_path):
    import json
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "no_such_family", "hidden_size": 8}))
    with pytest.raises(ValueError, match="no_such_family"):
        nninit.init_checkpoint(cfg, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_plain_modules_own_code_on_sharded_parameters_gives_the_unsharded_values(monkeypatch):
    """A plain module with DTensor parameters (one process, a 1-rank gloo
    group): its reset_parameters is recorded on an unsharded twin and the plan
    carried out shard by shard: the values of the unsharded module. A write
    the plan cannot describe (a slice set to a value) is refused by name."""

    import socket

    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(port))
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        mesh = init_device_mesh("cpu", (1,))
        def sharded(m):
            for mod in m.modules():
                for n, p in list(mod.named_parameters(recurse=False)):
                    placement = [Shard(0) if p.dim() == 2 else Replicate()]
                    setattr(mod, n, nn.Parameter(distribute_tensor(p.detach(), mesh, placement)))
            return m

        plain = nninit.init_module(nn.Sequential(Planned()), seed=2).state_dict()
        assert bool((plain["0.v"][3] == 0).all())
        m = sharded(nn.Sequential(Planned()))
        nninit.init_module(m, seed=2)
        for k, v in m.state_dict().items():
            assert torch.equal(v.full_tensor(), plain[k]), k
        with pytest.raises(nninit.NninitError, match="writes 0.b in a way a plan does not describe"):
            nninit.init_module(sharded(nn.Sequential(Mine())))
    finally:
        dist.destroy_process_group()


def test_buffers_the_models_code_does_not_recompute_are_named():
    import warnings

    from transformers import AutoModelForCausalLM

    m = AutoModelForCausalLM.from_config(tiny("llama"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # llama's rotary buffers are recomputed: no warning
        nninit.init_module(m, seed=0)
    m.model.register_buffer("lookup_table", torch.empty(4))
    with pytest.warns(UserWarning, match="does not recompute the buffers model.lookup_table"):
        nninit.init_module(m, seed=0)
