#!/usr/bin/env bash
# The write floor against nninit's checkpoint writer, side by side in one
# directory (default /dev/shm; pass another, e.g. a disk-backed one):
#   floor     = the checkpoint's bytes of zeros written by one dd per core
#   fresh     = nninit init --hf-config (TinyLlama-shaped, f32) into a new directory
#   overwrite = the same again with another seed into that directory
# Prints seconds and the ratios. Needs ~10 GB free in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-/dev/shm}/nninit-bench-write"
CFG=scripts/configs/tinyllama.json
cargo build --release -q -p nninit-cli
B=target/release/nninit
rm -rf "$DIR" && mkdir -p "$DIR"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
fresh=$(t "$B" init --hf-config "$CFG" --seed 1 --out "$DIR/ck")
overwrite=$(t "$B" init --hf-config "$CFG" --seed 2 --out "$DIR/ck")
bytes=$(du -cb "$DIR"/ck/*.safetensors | tail -1 | cut -f1)
rm -rf "$DIR/ck"
cores=$(nproc)
per=$(( bytes / cores / 4194304 + 1 ))
floor=$(t bash -c "for i in \$(seq $cores); do dd if=/dev/zero of=$DIR/z\$i bs=4M count=$per status=none & done; wait")
rm -rf "$DIR"
printf 'bytes %s, %s cores, %s\n' "$bytes" "$cores" "${1:-/dev/shm}"
printf 'floor     %6.2f s\n' "$floor"
printf 'fresh     %6.2f s  %.2fx the floor\n' "$fresh" "$(echo "$fresh / $floor" | bc -l)"
printf 'overwrite %6.2f s  %.2fx the floor\n' "$overwrite" "$(echo "$overwrite / $floor" | bc -l)"
