#!/bin/bash
# The mutation oracle over every mutant of tests/mutation_models/
# (tests/mutation_oracle.py without --sample): real torch decides which edits
# break loading; prints the recall/precision table and every miss and false
# finding.
#   bash bench/mutation_oracle.sh [build-dir] [work-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
work="${2:-/tmp/ptlint_mutation_oracle}"
exec /usr/bin/python3 "$here/tests/mutation_oracle.py" --ptlint "$build/ptlint" --work "$work" --verbose \
  --known "$here/tests/mutation_oracle_known.txt" --json "$work/results.json"
