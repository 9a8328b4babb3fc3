#!/usr/bin/env bash
# Side-by-side benchmark against transformers (TinyLlama-shaped Llama, GPT-2 small);
# needs about 10 GB of free disk (see compare_transformers.py).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh torch transformers
"$VENV/bin/python" scripts/compare_transformers.py "$PWD/target/release/nninit" scripts/configs/gpt2.json scripts/configs/tinyllama.json
