#!/usr/bin/env bash
# Every combination of every knob of tests/container_differential.py (about
# 5,500 files) against real torch; the CI run (ctest -R container_differential)
# samples 40 per container family with a fixed seed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$here/build}"
exec /usr/bin/python3 "$here/tests/container_differential.py" --ptlint "$build/ptlint" --long "$@"
