#!/usr/bin/env bash
# Side-by-side benchmark against PyTorch. Installs torch and numpy from PyPI
# into .venv-bench (not needed by the tests); skips cleanly where that is impossible.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q || exit 1
VENV=${VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "skip: cannot create a Python venv"; exit 0; }
fi
if ! "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null; then
  "$VENV/bin/pip" install -q torch numpy || { echo "skip: cannot install torch/numpy from PyPI"; exit 0; }
fi
"$VENV/bin/python" scripts/compare_torch.py "$PWD/target/release/nninit"
