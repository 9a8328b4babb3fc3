"""The package imports and works for NumPy when torch cannot be imported."""

import subprocess
import sys

CODE = """
import sys
sys.modules["torch"] = None  # any `import torch` now raises ImportError
import numpy as np
import nninit
a = nninit.sample("kaiming_normal(nonlinearity=relu)", (64, 32), seed=1, name="w")
b = np.empty((64, 32), dtype=np.float32)
nninit.kaiming_normal_(b, nonlinearity="relu", seed=1, name="w")
assert (a == b).all()
try:
    nninit.init_module(object())
except ImportError as e:
    assert "pip install torch" in str(e)
else:
    raise AssertionError("init_module without torch must say how to get it")
print("ok")
"""


def test_numpy_only():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
