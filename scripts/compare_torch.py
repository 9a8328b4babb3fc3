"""Side-by-side with PyTorch (run by scripts/compare_torch.sh).

Times, in one run on this machine:
  1. torch normal_ + np.save of a 16384 x 16384 f32 tensor to tmpfs, vs
     `nninit sample normal --shape=16384,16384 --out x.npy` (end to end);
  2. torch.nn.init.orthogonal_ on 4096 x 4096 f32, vs nninit's orthogonal
     (`nninit bench --ortho 4096`);
  3. uniform_, normal_ and trunc_normal_ throughput into a preallocated 64 MiB
     buffer on 1 thread, against `nninit bench --threads 1` (best SIMD level).
Medians of 5 (sample; orthogonal, alternating the two). Prints ratios; also checks numpy loads nninit's file.
"""
import os, subprocess, sys, tempfile, time, re
import numpy as np
import torch

NNINIT = sys.argv[1]
TMP = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()

def median(f, reps=3, clean=()):
    ts = []
    for _ in range(reps):
        for c in clean:  # freeing an old 1 GiB tmpfs file is not part of either job
            if os.path.exists(c):
                os.remove(c)
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

def torch_sample():
    x = torch.empty(16384, 16384)
    torch.nn.init.normal_(x)
    np.save(os.path.join(TMP, "torch_x.npy"), x.numpy())

def nninit_sample():
    subprocess.run([NNINIT, "sample", "normal", "--shape=16384,16384",
                    "--out", os.path.join(TMP, "nninit_x.npy")], check=True)

t_torch = median(torch_sample, reps=5, clean=[os.path.join(TMP, "torch_x.npy")])
t_ours = median(nninit_sample, reps=5, clean=[os.path.join(TMP, "nninit_x.npy")])
a = np.load(os.path.join(TMP, "nninit_x.npy"), mmap_mode="r")
assert a.shape == (16384, 16384) and a.dtype == np.float32
print(f"sample 16384x16384 normal -> .npy: torch {t_torch:.3f} s, nninit {t_ours:.3f} s, "
      f"speed-up {t_torch / t_ours:.2f}x (mean {float(a[:1024].mean()):+.4f}, std {float(a[:1024].std()):.4f})")
for f in ("torch_x.npy", "nninit_x.npy"):
    os.remove(os.path.join(TMP, f))

w = torch.empty(4096, 4096)
torch.nn.init.orthogonal_(w)  # warm-up
t_torch, t_ours = [], []
for _ in range(5):  # alternate, pausing so that torch's idle OpenMP threads stop spinning
    t = time.perf_counter(); torch.nn.init.orthogonal_(w); t_torch.append(time.perf_counter() - t)
    time.sleep(1)
    out = subprocess.run([NNINIT, "bench", "--size", "1024", "--reps", "1", "--threads",
                          str(torch.get_num_threads()), "--ortho", "4096"],
                         check=True, capture_output=True, text=True).stdout
    t_ours.append(float(re.search(r"orthogonal 4096x4096 f32: ([0-9.]+) s", out).group(1)))
    time.sleep(1)
t_torch, t_ours = sorted(t_torch)[2], sorted(t_ours)[2]
print(f"orthogonal 4096x4096 f32: torch {t_torch:.3f} s ({torch.get_num_threads()} threads), "
      f"nninit {t_ours:.3f} s, speed-up {t_torch / t_ours:.2f}x (medians of 5, alternating)")

torch.set_num_threads(1)
buf = torch.empty(1 << 24)
out = subprocess.run([NNINIT, "bench", "--threads", "1", "--reps", "5"],
                     check=True, capture_output=True, text=True).stdout
ours = {k: float(re.search(k + r" f32(?: \[Avx512\]| \[Avx2\]| \[Portable\])?\s+([0-9.]+)", out).group(1))
        for k in ("uniform", "normal", "trunc_normal")}
for name, f in (("uniform", lambda: buf.uniform_(-1, 1)), ("normal", lambda: buf.normal_()),
                ("trunc_normal", lambda: torch.nn.init.trunc_normal_(buf))):
    g = (1 << 24) / median(f, reps=5) / 1e9
    print(f"{name} f32, 1 thread, 64 MiB: torch {g:.3f} G/s, nninit {ours[name]:.3f} G/s, "
          f"{ours[name] / g:.1f}x")
