"""Side-by-side with Hugging Face transformers (run by scripts/compare_transformers.sh).

For each config: transformers `AutoModelForCausalLM.from_config` + `save_pretrained`
(safetensors), and `from_config` + safetensors' own `save_model` (`save_file` of the
state dict, tied weights stored once), each in a child process, against
`nninit init --hf-config`, all end to end, wall time and the child's peak RSS; then
checks that transformers loads nninit's directory with no missing or unexpected keys.
BENCH_DIR chooses where the files go (default: the system's temporary directory).
"""
import json, os, resource, shutil, subprocess, sys, tempfile, time

NNINIT = sys.argv[1]
CONFIGS = sys.argv[2:]

HF_SAVE = r'''
import sys, torch, json
from transformers import AutoConfig, AutoModelForCausalLM
cfg = AutoConfig.for_model(**json.load(open(sys.argv[1])))
m = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.float32)
m.save_pretrained(sys.argv[2], safe_serialization=True)
'''

HF_SAVE_FILE = r'''
import sys, os, torch, json
from transformers import AutoConfig, AutoModelForCausalLM
from safetensors.torch import save_model
cfg = AutoConfig.for_model(**json.load(open(sys.argv[1])))
m = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.float32)
os.makedirs(sys.argv[2])
save_model(m, os.path.join(sys.argv[2], "model.safetensors"))
'''

HF_LOAD = r'''
import sys, torch
from transformers import AutoModelForCausalLM
m, info = AutoModelForCausalLM.from_pretrained(sys.argv[1], output_loading_info=True, torch_dtype=torch.float32)
bad = {k: v for k, v in info.items() if v}
print("LOAD-OK" if not bad else f"LOAD-PROBLEMS {bad}")
'''

# runs a command and reports its own peak RSS (RUSAGE_CHILDREN of a fresh process)
WRAP = "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)"

def run(cmd):
    os.sync()  # earlier runs' dirty pages are not this run's cost
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", WRAP] + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr[-2000:]}")
    rss = int(p.stderr.strip().splitlines()[-1])  # KiB
    return dt, rss, p.stdout

with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
    for cfg in CONFIGS:
        name = os.path.splitext(os.path.basename(cfg))[0]
        ours_dir = os.path.join(tmp, name + "-nninit")
        theirs_dir = os.path.join(tmp, name + "-hf")
        t_ours, rss_ours, _ = run([NNINIT, "init", "--hf-config", cfg, "--out", ours_dir])
        t_hf, rss_hf, _ = run([sys.executable, "-c", HF_SAVE, cfg, theirs_dir])
        shutil.rmtree(theirs_dir)
        t_sf, rss_sf, _ = run([sys.executable, "-c", HF_SAVE_FILE, cfg, theirs_dir])
        shutil.rmtree(theirs_dir)
        _, _, out = run([sys.executable, "-c", HF_LOAD, ours_dir])
        shutil.rmtree(ours_dir)
        print(f"{name}: nninit init --hf-config {t_ours:.2f} s (peak RSS {rss_ours / 2**20:.3f} GiB); "
              f"transformers from_config+save_pretrained {t_hf:.1f} s (peak RSS {rss_hf / 2**20:.2f} GiB, "
              f"{t_hf / t_ours:.1f}x nninit's time); from_config+save_file {t_sf:.1f} s "
              f"(peak RSS {rss_sf / 2**20:.2f} GiB, {t_sf / t_ours:.1f}x); {out.strip().splitlines()[-1]}")
