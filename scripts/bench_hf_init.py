"""A Llama-shaped transformers model initialized three ways, same process,
side by side: transformers' own `from_config` (CPU, its _init_weights), and
nninit: built on the meta device, `to_empty`, `init_module` (the family's
_init_weights replayed on nninit's streams). Also `init_checkpoint` of the
same config through the transformers path against the native writer.
Reports wall times (best of N) and peak RSS growth.
Usage: python scripts/bench_hf_init.py [hidden] [layers] [vocab] [reps]
(default 2048 16 32000 2: about 1.0 B parameters, 4 GB in f32)."""

import os
import resource
import sys
import tempfile
import time

import torch
from transformers import AutoModelForCausalLM, LlamaConfig

import nninit


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best(f, reps):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        out.append(time.perf_counter() - t0)
    return min(out)


def main():
    hidden, layers, vocab, reps = (int(x) for x in (sys.argv[1:] + ["2048", "16", "32000", "2"][len(sys.argv) - 1:])[:4])
    cfg = LlamaConfig(hidden_size=hidden, intermediate_size=hidden * 11 // 4, num_hidden_layers=layers,
                      num_attention_heads=hidden // 64, num_key_value_heads=max(1, hidden // 256), vocab_size=vocab)
    torch.set_num_threads(os.cpu_count() or 1)

    def ours():
        with torch.device("meta"):
            m = AutoModelForCausalLM.from_config(cfg)
        m = m.to_empty(device="cpu")
        nninit.init_module(m, seed=0)
        return m

    with torch.device("meta"):
        n = sum(p.numel() for p in AutoModelForCausalLM.from_config(cfg).parameters())
    base = rss_mb()
    t_ours = best(ours, reps)
    peak_ours = rss_mb() - base  # the first run's peak: the model and what init_module adds
    t_hf = best(lambda: AutoModelForCausalLM.from_config(cfg), reps)
    print(f"Llama-shaped, {n / 1e9:.2f} B parameters (f32, {4 * n / 2**30:.1f} GiB), {torch.get_num_threads()} threads")
    print(f"transformers from_config:          {t_hf:7.2f} s")
    print(f"nninit meta + to_empty + init:     {t_ours:7.2f} s  ({t_hf / t_ours:.1f}x faster; "
          f"peak RSS growth {peak_ours:.0f} MiB, model {4 * n / 2**20:.0f} MiB)")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        cfg_py = cfg.to_dict()
        cfg_py["model_type"] = "qwen2"  # same shapes, a family the native writer does not know
        import json
        p1, p2 = os.path.join(d, "llama.json"), os.path.join(d, "qwen2.json")
        with open(p1, "w") as f:
            json.dump(cfg.to_dict(), f)
        with open(p2, "w") as f:
            json.dump(cfg_py, f)
        t_native = best(lambda: nninit.init_checkpoint(p1, os.path.join(d, "native"), seed=0), reps)
        t_meta = best(lambda: nninit.init_checkpoint(p2, os.path.join(d, "meta"), seed=0), reps)
    print(f"init_checkpoint native (llama):    {t_native:7.2f} s")
    print(f"init_checkpoint via transformers:  {t_meta:7.2f} s  ({t_meta / t_native:.2f}x the native writer)")


if __name__ == "__main__":
    main()
