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

# The main job: `ptlint src/ ckpt/` on a 50-file project with 5 checkpoints,
# beside what loading one of those checkpoints with torch alone costs.
proj="$out/project"
[ -d "$proj/ckpt" ] || $PY bench/make_project.py "$proj" >/dev/null
echo
printf '%-34s | %-24s\n' "job" "median ms / peak MiB"
printf '%s\n' "-----------------------------------|-------------------------"
read -r a _ ar < <(cd "$proj" && $PY ../../../bench/measure.py "$runs" -- ../../../build/ptlint src/ ckpt/ --output-format json)
printf '%-34s | %10s ms %8s MiB\n' "ptlint src/ ckpt/ (50 files, 5 ckpt)" "$a" "$ar"
read -r b _ br < <($PY bench/measure.py "$runs" -- $PY -c 'import sys, torch; torch.load(sys.argv[1], map_location="cpu")' "$proj/ckpt/model0.pt")
printf '%-34s | %10s ms %8s MiB\n' "python -c 'torch.load(one ckpt)'" "$b" "$br"
[ -d examples/ckpt ] || $PY examples/train.py >/dev/null
read -r c _ cr < <(cd examples && $PY ../bench/measure.py "$runs" -- ../build/ptlint src/ ckpt/ --output-format json)
printf '%-34s | %10s ms %8s MiB\n' "ptlint on examples/" "$c" "$cr"
# torchaudio's real wav2vec2 source (copied) with a state dict and a whole
# pickled model of it, made by the torchaudio drift test's fixture script.
ta="$out/torchaudio"
[ -f "$ta/pristine/ckpt/w2v.pt" ] || $PY tests/realcode/torchaudio_drift_fixture.py "$ta" >/dev/null
read -r d _ dr < <(cd "$ta/pristine" && $PY "$OLDPWD/bench/measure.py" "$runs" -- "$OLDPWD/build/ptlint" src/ ckpt/ --output-format json)
printf '%-34s | %10s ms %8s MiB\n' "ptlint on torchaudio wav2vec2 + 2" "$d" "$dr"

# Security scan (PTL6xx) beside picklescan's method, on the 20,000-tensor
# file and on the whole peer corpus (read as bytes only by both).
corpus=tests/corpus/security
echo
printf '%-34s | %-24s | %-24s\n' "security scan" "ptlint ms / MiB" "pickletools ms / MiB"
printf '%s\n' "-----------------------------------|--------------------------|-------------------------"
read -r a _ ar < <($PY bench/measure.py "$runs" -- ./build/ptlint check --select PTL6 --output-format json "$out/state_dict_20k.pt")
read -r b _ br < <($PY bench/measure.py "$runs" -- $PY bench/pickletools_scan.py "$out/state_dict_20k.pt")
printf '%-34s | %10s ms %8s MiB | %10s ms %8s MiB\n' "state_dict_20k.pt" "$a" "$ar" "$b" "$br"
if [ -d "$corpus" ]; then
  read -r a _ ar < <($PY bench/measure.py "$runs" -- ./build/ptlint check --select PTL6 --output-format json "$corpus")
  read -r b _ br < <($PY bench/measure.py "$runs" -- $PY bench/pickletools_scan.py "$corpus")
  printf '%-34s | %10s ms %8s MiB | %10s ms %8s MiB\n' "peer corpus (301 files)" "$a" "$ar" "$b" "$br"
fi
