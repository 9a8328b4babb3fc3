# Sourced by the comparison scripts: builds nninit and makes a Python venv
# ($VENV, default .venv-bench) with the given PyPI packages, or exits 0 with
# a "skip:" line where that is impossible. Not needed by the tests.
cargo build --release -q || exit 1
VENV=${VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "skip: cannot create a Python venv"; exit 0; }
fi
if ! "$VENV/bin/python" -c "import $(IFS=,; echo "$*")" 2>/dev/null; then
  "$VENV/bin/pip" install -q "$@" || { echo "skip: cannot install $* from PyPI"; exit 0; }
fi
