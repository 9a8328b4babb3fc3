"""The lab engine against PyTorch, side by side on this machine (issue 15).

1. The digits run: 64,64x10,10 ReLU MLP, kaiming_normal, 30 epochs of plain
   SGD (lr 0.03, batch 32) with the test accuracy after every epoch.
   torch: a naive training loop, timed inside this script (import, data
   loading and model construction excluded). nninit: the whole `nninit
   train` process, end to end (start-up, data loading and all).
2. 64,1024x50,10 forward+backward at batch 256 (ReLU, cross-entropy):
   torch's GFLOP/s against `nninit bench --mlp` at the same thread count.

Usage: python scripts/bench_train.py PATH/TO/nninit [THREADS]   (default 2)
Prints the figures and the ratios; best of 5 for every timing.
"""
import gzip, os, re, subprocess, sys, time
import numpy as np
import torch
from benchutil import best

NNINIT = sys.argv[1]
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(THREADS)
HERE = os.path.dirname(os.path.abspath(__file__))

# -- 1. the digits run ------------------------------------------------------
rows = np.loadtxt(gzip.open(os.path.join(HERE, "..", "data", "digits.csv.gz")), delimiter=",")
x, y = rows[:, :-1].astype(np.float32), rows[:, -1].astype(np.int64)
perm = np.random.default_rng(0).permutation(len(y))
n_train = len(y) * 3 // 4
tr, te = perm[:n_train], perm[n_train:]
mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-8
x = (x - mu) / sd
xtr, ytr = torch.from_numpy(x[tr]), torch.from_numpy(y[tr])
xte, yte = torch.from_numpy(x[te]), torch.from_numpy(y[te])


def model():
    torch.manual_seed(0)
    layers, sizes = [], [64] + [64] * 10 + [10]
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def torch_loop():
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.03)
    acc = 0.0
    for epoch in range(30):
        order = torch.randperm(len(ytr))
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            loss = torch.nn.functional.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
    return acc


acc = []
t_torch = best(lambda: acc.append(torch_loop()), reps=5)
cmd = [NNINIT, "train", "--data", "digits", "--layers", "64,64x10,10", "--activation", "relu",
       "--init", "kaiming_normal(nonlinearity=relu)", "--epochs", "30", "--lr", "0.03",
       "--batch", "32"]
env = dict(os.environ, RAYON_NUM_THREADS=str(THREADS))
t_nninit = best(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env), reps=5)
print(f"digits 64,64x10,10 relu, 30 epochs SGD batch 32, {THREADS} threads:")
print(f"  torch training loop alone  {t_torch:.3f} s (test accuracy {acc[-1]:.3f})")
print(f"  nninit train, whole process {t_nninit:.3f} s")
print(f"  nninit is {t_torch / t_nninit:.2f}x faster")

# -- 2. 64,1024x50,10 forward+backward at batch 256 -------------------------
sizes = [64] + [1024] * 50 + [10]
batch = 256
torch.manual_seed(0)
big = torch.nn.Sequential(*[m for i in range(len(sizes) - 1) for m in
                            (torch.nn.Linear(sizes[i], sizes[i + 1]), torch.nn.ReLU())][:-1])
xb = torch.randn(batch, 64)
yb = torch.randint(0, 10, (batch,))


def fwd_bwd():
    big.zero_grad(set_to_none=False)
    torch.nn.functional.cross_entropy(big(xb), yb).backward()


flops = sum(3 * 2 * batch * a * b for a, b in zip(sizes, sizes[1:]))
t = best(fwd_bwd, reps=5)
torch_gflops = flops / t / 1e9
out = subprocess.run([NNINIT, "bench", "--threads", str(THREADS), "--mlp", "64,1024x50,10",
                      "--batch", str(batch), "--size", "1024"],
                     check=True, capture_output=True, text=True).stdout
m = re.search(r"mlp .*?forward\+backward ([0-9.]+) s, ([0-9.]+) GFLOP/s", out)
nn_gflops = float(m.group(2))
print(f"64,1024x50,10 batch {batch} forward+backward, {THREADS} threads:")
print(f"  torch  {t:.3f} s, {torch_gflops:.1f} GFLOP/s")
print(f"  nninit {float(m.group(1)):.3f} s, {nn_gflops:.1f} GFLOP/s")
print(f"  nninit / torch = {nn_gflops / torch_gflops:.2f}x")
