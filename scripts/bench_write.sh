#!/usr/bin/env bash
# The write floor against nninit's checkpoint writer, side by side in one
# directory (default /dev/shm; pass another, e.g. a disk-backed one), for a
# TinyLlama-shaped f32 checkpoint (4.4 GB, one file):
#   floor          the checkpoint's bytes of zeros, one dd per core (one file each)
#   one-file       the same bytes by one dd into one file (the most a writer
#                  that uses write(2) into one file can reach: the file's lock
#                  lets one core at a time in)
#   fresh          nninit init --hf-config into a new directory (on tmpfs: every
#                  core fills the file, userfaultfd)
#   fresh stream   the same with NNINIT_WRITE=stream (one write(2) stream)
#   overwrite      again, another seed, into that directory: the new run is
#                  written beside the old one and swapped in atomically
#   floor over     the floor again over its own files (dd truncates them: the
#                  old bytes are freed, one file per core, then written)
#   floor beside   the floor while the old checkpoint is still there (the
#                  memory an atomic overwrite needs: on a VM whose memory is
#                  slow to grow this, not the writer, sets the pace)
# Each figure is the median of ROUNDS (default 3) runs, the kinds alternating;
# `sync` before each (not timed). Needs ~10 GB free in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:-/dev/shm}"
DIR="$BASE/nninit-bench-write"
ROUNDS="${ROUNDS:-3}"
CFG=scripts/configs/tinyllama.json
cargo build --release -q -p nninit-cli
B=target/release/nninit
rm -rf "$DIR" && mkdir -p "$DIR"
trap 'rm -rf "$DIR"' EXIT
t() { local s e; sync; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
"$B" init --hf-config "$CFG" --seed 1 --out "$DIR/ck" >/dev/null
bytes=$(du -cb "$DIR"/ck/*.safetensors | tail -1 | cut -f1)
rm -rf "$DIR/ck"
cores=$(nproc)
per=$(( bytes / cores / 4194304 + 1 ))
all=$(( bytes / 4194304 + 1 ))
ddfloor() { for i in $(seq "$cores"); do dd if=/dev/zero of="$DIR/z$i" bs=4M count=$per status=none & done; wait; }
F=() R=() O=() S=() P=() W=() X=() Bs=()
for r in $(seq "$ROUNDS"); do
  F+=("$(t ddfloor)")
  R+=("$(t ddfloor)"); rm -f "$DIR"/z*
  O+=("$(t dd if=/dev/zero of="$DIR/z" bs=4M count=$all status=none)"); rm -f "$DIR"/z*
  P+=("$(t "$B" init --hf-config "$CFG" --seed 1 --out "$DIR/ck")"); rm -rf "$DIR/ck"
  S+=("$(t env NNINIT_WRITE=stream "$B" init --hf-config "$CFG" --seed 1 --out "$DIR/ck")")
  # the old checkpoint is there now
  Bs+=("$(t ddfloor)"); rm -f "$DIR"/z*
  W+=("$(t "$B" init --hf-config "$CFG" --seed 2 --out "$DIR/ck")")
  X+=("$(t env NNINIT_WRITE=stream "$B" init --hf-config "$CFG" --seed 3 --out "$DIR/ck")")
  rm -rf "$DIR/ck"
done
f=$(median "${F[@]}"); fo=$(median "${R[@]}"); o=$(median "${O[@]}"); p=$(median "${P[@]}"); s=$(median "${S[@]}")
bs=$(median "${Bs[@]}"); w=$(median "${W[@]}"); x=$(median "${X[@]}")
ratio() { echo "$1 / $2" | bc -l; }
printf 'bytes %s, %s cores, %s, median of %s\n' "$bytes" "$cores" "$BASE" "$ROUNDS"
printf 'floor              %6.2f s  (runs: %s)\n' "$f" "${F[*]}"
printf 'floor over         %6.2f s  (dd over its own files)\n' "$fo"
printf 'one-file           %6.2f s  %.2fx the floor\n' "$o" "$(ratio "$o" "$f")"
printf 'fresh              %6.2f s  %.2fx the floor  (runs: %s)\n' "$p" "$(ratio "$p" "$f")" "${P[*]}"
printf 'fresh stream       %6.2f s  %.2fx the floor\n' "$s" "$(ratio "$s" "$f")"
printf 'floor beside old   %6.2f s  (runs: %s)\n' "$bs" "${Bs[*]}"
printf 'overwrite          %6.2f s  %.2fx the floor, %.2fx the floor over its files  (runs: %s)\n' "$w" "$(ratio "$w" "$f")" "$(ratio "$w" "$fo")" "${W[*]}"
printf 'overwrite stream   %6.2f s  %.2fx the floor, %.2fx the floor over its files\n' "$x" "$(ratio "$x" "$f")" "$(ratio "$x" "$fo")"
