"""Compare two `nninit experiment` results.json files cell by cell.

Usage: python3 scripts/compare_results.py OLD/results.json NEW/results.json

Reports the cells whose per-epoch train losses, test accuracies, divergence
point or probe summary at initialization differ (exact comparison: a change
of the engine must not move them), and the largest relative difference of
the per-epoch gradient norms (a diagnostic). Exits 1 when any cell differs.
"""
import json
import sys

old, new = (json.load(open(p)) for p in sys.argv[1:3])


def cells(r):
    return {(c["init_label"], c["activation"], c["optimizer"]): c for c in r["cells"]}


a, b = cells(old), cells(new)
if a.keys() != b.keys():
    print("the grids differ:", sorted(a.keys() ^ b.keys()))
    sys.exit(1)
differing, worst = 0, 0.0
for k in sorted(a):
    ha, hb = a[k]["history"], b[k]["history"]
    same = (
        [e["train_loss"] for e in ha["epochs"]] == [e["train_loss"] for e in hb["epochs"]]
        and [e["test_accuracy"] for e in ha["epochs"]] == [e["test_accuracy"] for e in hb["epochs"]]
        and ha["diverged_at"] == hb["diverged_at"]
        and a[k]["at_init"] == b[k]["at_init"]
    )
    if not same:
        differing += 1
        print("differs:", k)
    for ea, eb in zip(ha["epochs"], hb["epochs"]):
        for x, y in zip(ea["grad_norms"], eb["grad_norms"]):
            if x != y:
                worst = max(worst, abs(x - y) / abs(x) if x else float("inf"))
print(f"{len(a)} cells, {differing} with different losses/accuracies/divergence/probe; "
      f"largest relative gradient-norm difference {worst:.3g}")
sys.exit(1 if differing else 0)
