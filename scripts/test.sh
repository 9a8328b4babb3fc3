#!/usr/bin/env bash
# Every test: the Rust workspace (cargo test; the candle and burn adapters too), then the Python package built
# into a git-ignored virtual environment (.venv, created on first use, with
# maturin, numpy, pytest, torch, transformers, mup (microsoft/mup, the muP reference),
# jax (CPU), mypy and ruff from PyPI) and its pytest
# suite, which includes the multi-process torch.distributed tests (gloo on
# 127.0.0.1), then mypy's stubtest of the native module, mypy and ruff.
# Needs only Rust and Python 3. NNINIT_VENV picks another environment.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every crate in one build (one feature set, so nothing is compiled twice): the
# candle and burn adapters (outside default-members, so that `cargo run --
# experiment` does not build them) and the core's optional rand_core adapter
# included. cargo test also builds the examples: the adapters' `mlp_cnn`
# examples run here, their `reference` examples are compared with the Python
# package by pytest.
#
# The adapters' framework crates (used by nothing else in the workspace) are
# built at opt-level 1 here: the tests check values, which no optimization
# level changes, and this keeps CI within its time budget on 2 cores. The
# adapters' benchmarks (`cargo run --release -p nninit-burn --example
# burn_bench`, ...) build them at the release level; nninit's own crates are
# always built at it (and shared with the Python package's build below).
FRAMEWORK_CRATES="burn burn-autodiff burn-backend burn-backend-extension burn-core burn-dispatch
  burn-einsum burn-flex burn-ir burn-linalg burn-nn burn-optim burn-pack burn-std burn-store
  burn-tensor cubecl-common cubecl-zspace candle-core candle-nn tokenizers fancy-regex gemm-f16"
LIGHT=()
for c in $FRAMEWORK_CRATES; do
  LIGHT+=(--config "profile.release.package.$c.opt-level=1")
done
cargo test --release --workspace --features nninit/rand_core "${LIGHT[@]}"
target/release/examples/mlp_cnn
target/release/examples/burn_mlp_cnn
# Both adapters' `reference` examples keep that name (the external checks run
# `cargo run -p <crate> --example reference`), so cargo's copy at
# target/release/examples/reference is either one (an "output filename
# collision" warning): take each crate's own build, found by its dep-info file.
example_of() {
  local f
  for f in $(ls -t target/release/examples/"$2"-* 2>/dev/null); do
    case "$f" in *.d) continue ;; esac
    if grep -q "crates/$1/examples/$2.rs" "$f.d" 2>/dev/null; then
      echo "$PWD/$f"
      return 0
    fi
  done
  echo "scripts/test.sh: no build of $1's example $2 under target/release/examples" >&2
  return 1
}
NNINIT_CANDLE_REFERENCE="$(example_of nninit-candle reference)"
NNINIT_BURN_REFERENCE="$(example_of nninit-burn reference)"
export NNINIT_CANDLE_REFERENCE NNINIT_BURN_REFERENCE
echo "== the Python package ($(date +%T))"
VENV="${NNINIT_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PY="$(cd "$VENV" && pwd)/bin/python"
"$PY" -m pip install -q --disable-pip-version-check maturin numpy pytest torch transformers mypy ruff mup jax
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./crates/nninit-py
# the tests compare with the CLI binary that cargo test just built
export NNINIT_BIN="$PWD/target/release/nninit"
cd crates/nninit-py
echo "== pytest ($(date +%T))"
"$PY" -m pytest -q tests
# the native module against its stubs, the package's types, lints
"$PY" -m mypy.stubtest nninit._nninit
"$PY" -m mypy
"$PY" -m ruff check python tests
echo "== done ($(date +%T))"
