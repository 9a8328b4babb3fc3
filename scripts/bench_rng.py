"""The frameworks' own streams (--rng numpy|torch) against NumPy and PyTorch on one
thread: 2^24 values, best of 3, same process (nninit side includes its Python call)."""
import time, numpy as np, torch, nninit
torch.set_num_threads(1)
n = 2**24
def best(f, r=3):
    ts=[]
    for _ in range(r):
        t0=time.perf_counter(); f(); ts.append(time.perf_counter()-t0)
    return min(ts)
t = torch.empty(n); a = np.empty(n, dtype=np.float64); t64 = torch.empty(n, dtype=torch.float64)
print("torch normal_ f32", best(lambda: (torch.manual_seed(0), t.normal_())))
print("nninit torch normal f32", best(lambda: nninit.fill_(t, "normal", rng="torch")))
print("torch uniform_ f32", best(lambda: (torch.manual_seed(0), t.uniform_())))
print("nninit torch uniform f32", best(lambda: nninit.fill_(t, "uniform", rng="torch")))
print("torch normal_ f64", best(lambda: (torch.manual_seed(0), t64.normal_())))
print("nninit torch normal f64", best(lambda: nninit.fill_(t64, "normal", rng="torch")))
print("numpy randn f64", best(lambda: (np.random.seed(0), np.random.randn(n))))
print("nninit numpy normal f64", best(lambda: nninit.fill_(a, "normal", rng="numpy")))
print("numpy uniform f64", best(lambda: (np.random.seed(0), np.random.uniform(size=n))))
print("nninit numpy uniform f64", best(lambda: nninit.fill_(a, "uniform", rng="numpy")))
