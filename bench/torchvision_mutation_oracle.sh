#!/bin/bash
# The mutation oracle on torchvision 0.14's own model code (Debian's install,
# copied into the work dir): real torch decides which edits of each builder's
# model file break loading its state dict; prints the recall/precision table
# per model file and every miss and false finding (~15 minutes; not in ctest).
#   bash bench/torchvision_mutation_oracle.sh [build-dir] [work-dir] [extra args, e.g. --models resnet18 --per-file 0]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
work="${2:-/tmp/ptlint_tv_mutation_oracle}"
shift $(( $# < 2 ? $# : 2 ))
exec /usr/bin/python3 "$here/tests/torchvision_mutation_oracle.py" --ptlint "$build/ptlint" --work "$work" \
  --json "$work.results.json" "$@"
