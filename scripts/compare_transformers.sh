#!/usr/bin/env bash
# Side-by-side benchmark against transformers (TinyLlama-shaped Llama, GPT-2 small).
# Installs torch and transformers from PyPI into .venv-bench (not needed by the tests);
# skips cleanly where that is impossible. Needs about 10 GB of free disk.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q || exit 1
VENV=${VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "skip: cannot create a Python venv"; exit 0; }
fi
if ! "$VENV/bin/python" -c "import torch, transformers" 2>/dev/null; then
  "$VENV/bin/pip" install -q torch transformers || { echo "skip: cannot install torch/transformers from PyPI"; exit 0; }
fi
"$VENV/bin/python" scripts/compare_transformers.py "$PWD/target/release/nninit" scripts/configs/gpt2.json scripts/configs/tinyllama.json
