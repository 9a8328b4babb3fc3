#!/usr/bin/env bash
# The write floor against nninit's checkpoint writer, side by side in one
# directory (default /dev/shm; pass another, e.g. a disk-backed one):
#   floor     = the checkpoint's bytes of zeros written by one dd per core
#               (one file each: writes to one file serialize on its lock)
#   one-file  = the same bytes by one dd into one file (what a one-shard
#               checkpoint's writer can reach at best)
#   fresh     = nninit init --hf-config (TinyLlama-shaped, f32) into a new directory
#   overwrite = the same again with another seed into that directory (the new
#               run is written beside the old one, swapped in atomically)
#   one-file beside = one dd of the same bytes while the old checkpoint is
#               still there (the memory situation of an atomic overwrite)
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
all=$(( bytes / 4194304 + 1 ))
floor=$(t bash -c "for i in \$(seq $cores); do dd if=/dev/zero of=$DIR/z\$i bs=4M count=$per status=none & done; wait")
rm -f "$DIR"/z*
onefile=$(t dd if=/dev/zero of="$DIR/z" bs=4M count=$all status=none)
rm -f "$DIR"/z*
"$B" init --hf-config "$CFG" --seed 1 --out "$DIR/ck" >/dev/null
beside=$(t dd if=/dev/zero of="$DIR/z" bs=4M count=$all status=none)
rm -rf "$DIR"
printf 'bytes %s, %s cores, %s\n' "$bytes" "$cores" "${1:-/dev/shm}"
printf 'floor     %6.2f s\n' "$floor"
printf 'one-file  %6.2f s  (one dd, one file)\n' "$onefile"
printf 'one-file beside the old checkpoint %6.2f s\n' "$beside"
printf 'fresh     %6.2f s  %.2fx the floor, %.2fx one-file\n' "$fresh" "$(echo "$fresh / $floor" | bc -l)" "$(echo "$fresh / $onefile" | bc -l)"
printf 'overwrite %6.2f s  %.2fx the floor, %.2fx one-file beside the old checkpoint\n' "$overwrite" "$(echo "$overwrite / $floor" | bc -l)" "$(echo "$overwrite / $beside" | bc -l)"
