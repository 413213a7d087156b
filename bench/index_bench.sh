#!/bin/sh
# Indexing speed on the torch package python3-torch installs, and the cost of
# re-analysing one edited ~2,000-line file incrementally.
#
#   bench/index_bench.sh [BUILD_DIR] [ROOT] [EDIT_FILE]
#
# Builds bench/index_bench_main.cc (the CMake target index_bench, not part of
# the default build) in BUILD_DIR and runs it pinned to one core. Trees are deferred
# (python_prescan.h); INDEX_BENCH_MATERIALIZE=1 also times building them all.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
root=${2:-/usr/lib/python3/dist-packages/torch}
edit=${3:-/usr/lib/python3/dist-packages/torch/nn/modules/module.py}
cmake --build "$build" --target index_bench >/dev/null
out="$build/index_bench"
# Warm the page cache so the number is parse speed, not disk speed.
find "$root" -name '*.py' -exec cat {} + >/dev/null
taskset -c 0 "$out" "$root" "$edit" 200 2>/dev/null || "$out" "$root" "$edit" 200
