#!/usr/bin/env bash
# Side-by-side benchmark against PyTorch (see compare_torch.py).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh torch numpy
"$VENV/bin/python" scripts/compare_torch.py "$PWD/target/release/nninit"
