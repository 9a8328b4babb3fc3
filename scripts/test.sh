#!/usr/bin/env bash
# Every test: the Rust workspace (cargo test; the candle adapter too), then the Python package built
# into a git-ignored virtual environment (.venv, created on first use, with
# maturin, numpy, pytest, torch, transformers, mup (microsoft/mup, the muP reference),
# mypy and ruff from PyPI) and its pytest
# suite, which includes the multi-process torch.distributed tests (gloo on
# 127.0.0.1), then mypy's stubtest of the native module, mypy and ruff.
# Needs only Rust and Python 3. NNINIT_VENV picks another environment.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release
# the optional rand_core adapter (feature `rand_core`)
cargo test --release -p nninit --features rand_core --test rand_core
# the framework adapters (outside default-members, so that `cargo run -- experiment`
# does not build candle): their tests, and the reference example pytest compares
cargo test --release -p nninit-candle
cargo build --release -p nninit-candle --example reference
cargo run --release -q -p nninit-candle --example mlp_cnn
export NNINIT_CANDLE_REFERENCE="$PWD/target/release/examples/reference"
VENV="${NNINIT_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PY="$(cd "$VENV" && pwd)/bin/python"
"$PY" -m pip install -q --disable-pip-version-check maturin numpy pytest torch transformers mypy ruff mup
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./crates/nninit-py
# the tests compare with the CLI binary that cargo test just built
export NNINIT_BIN="$PWD/target/release/nninit"
cd crates/nninit-py
"$PY" -m pytest -q tests
# the native module against its stubs, the package's types, lints
"$PY" -m mypy.stubtest nninit._nninit
"$PY" -m mypy
"$PY" -m ruff check python tests
