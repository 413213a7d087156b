#!/usr/bin/env bash
# ptlint inspect vs. torch.load(weights_only=True) vs. a Python zipfile +
# pickletools.genops scan (picklescan's method), side by side: median wall
# time over N runs and peak RSS. Needs a built ./build/ptlint.
#   bash bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=build/bench
PY=/usr/bin/python3
$PY bench/make_checkpoints.py "$out" >/dev/null
[ -x build/ptlint ] || { echo "build ptlint first (see README)"; exit 2; }

load='import sys, torch; torch.load(sys.argv[1], map_location="cpu", weights_only=True)'
printf '%-22s | %-26s | %-26s | %-26s\n' "checkpoint" "ptlint inspect ms / MiB" "torch.load(wo=True) ms / MiB" "pickletools scan ms / MiB"
printf '%s\n' "-----------------------|----------------------------|----------------------------|---------------------------"
for f in one_gib_tensor.pt state_dict_20k.pt wav2vec2_base.pt; do
  p="$out/$f"
  read -r a _ ar < <($PY bench/measure.py "$runs" -- ./build/ptlint inspect --format json "$p")
  read -r b _ br < <($PY bench/measure.py "$runs" -- $PY -c "$load" "$p")
  read -r c _ cr < <($PY bench/measure.py "$runs" -- $PY bench/pickletools_scan.py "$p")
  printf '%-22s | %10s ms %8s MiB | %10s ms %8s MiB | %10s ms %8s MiB\n' "$f" "$a" "$ar" "$b" "$br" "$c" "$cr"
done
echo "(torch 1.13 has no torch.load(mmap=True); it arrived in 2.1)"
