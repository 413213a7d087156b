#!/bin/bash
# Output identity for performance work: records `ptlint check --output-format
# json` on examples/, on every prepared rule case, and on the binding bench
# set (bench/binding_bench.sh: torchvision's source with 0/1/18/100
# checkpoints), plus `ptlint classes --output-format json` on torchvision's
# models; then compares a later build's outputs with the record byte for byte.
#   bash bench/output_identity.sh record  [build-dir] [record-dir]
#   bash bench/output_identity.sh compare [build-dir] [record-dir]
# Needs: the rule cases prepared (ctest --test-dir build -R RuleCase) and
# the bench set made (bash bench/binding_bench.sh build /tmp/ptlint_binding_bench).
# PTLINT_BENCH_WORK overrides the bench set's folder.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:?record or compare}"
build="$(cd "${2:-$here/build}" && pwd)"
record="${3:-/tmp/ptlint_output_identity}"
bench="${PTLINT_BENCH_WORK:-/tmp/ptlint_binding_bench}"
ptlint="${PTLINT_BIN:-$build/ptlint}"  # PTLINT_BIN: another binary (a baseline) with this build's rule cases
case "$mode" in
  record) out="$record/expected" ;;
  compare) out="$record/actual" ;;
  *) echo "mode: record or compare" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"

# examples/: a copy with its checkpoints made by real torch (once).
examples="$record/examples"
if [ ! -d "$examples/ckpt" ]; then
  rm -rf "$examples"
  cp -r "$here/examples" "$examples"
  (cd "$examples" && /usr/bin/python3 train.py > /dev/null)
fi
(cd "$examples" && "$ptlint" check src/ ckpt/ --output-format json --exit-zero > "$out/examples.json" 2>&1 || true)
(cd "$examples" && "$ptlint" check . --output-format json --exit-zero > "$out/examples_all.json" 2>&1 || true)

# Every prepared rule case, as the runner invokes it (--select CODE) and with
# every rule.
cases=0
for dir in "$build"/rule_cases/PTL*/*/; do
  [ -d "$dir" ] || continue
  code="$(basename "$(dirname "$dir")")"
  name="$(basename "$dir")"
  (cd "$dir" && "$ptlint" check . --select "$code" --output-format json > "$out/case_${code}_${name}.json" 2>&1 || true)
  (cd "$dir" && "$ptlint" check . --output-format json > "$out/case_${code}_${name}_all.json" 2>&1 || true)
  cases=$((cases + 1))
done

# The binding bench set.
for source in torchvision/models torchvision; do
  tag="${source//\//_}"
  for count in 0 1 18 100; do
    args=("$source")
    [ "$count" -gt 0 ] && args+=("ckpt$count")
    (cd "$bench" && "$ptlint" check "${args[@]}" --output-format json --exit-zero > "$out/bench_${tag}_${count}.json" 2>&1 || true)
  done
done
(cd "$bench" && "$ptlint" classes torchvision/models --output-format json > "$out/classes_models.json" 2>&1 || true)

echo "$mode: $(ls "$out" | wc -l) outputs ($cases rule cases)"
if [ "$mode" = compare ]; then
  if diff -r -q "$record/expected" "$out"; then
    echo "identical"
  else
    echo "OUTPUTS DIFFER" >&2
    exit 1
  fi
fi
