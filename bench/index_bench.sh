#!/bin/sh
# Indexing speed on the torch package python3-torch installs, and the cost of
# re-analysing one edited ~2,000-line file incrementally.
#
#   bench/index_bench.sh [BUILD_DIR] [ROOT] [EDIT_FILE]
#
# Builds analyzer/index_bench_main.cc against BUILD_DIR's libptlint_core.a
# (no CMake target needed) and runs it pinned to one core. Trees are deferred
# (python_prescan.h); INDEX_BENCH_MATERIALIZE=1 also times building them all.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
root=${2:-/usr/lib/python3/dist-packages/torch}
edit=${3:-/usr/lib/python3/dist-packages/torch/nn/modules/module.py}
cmake --build "$build" --target ptlint_core >/dev/null
out="$build/index_bench"
c++ -std=c++20 -O2 -I"$here" "$here/analyzer/index_bench_main.cc" -o "$out" \
  "$build/libptlint_core.a" "$build/grammars/libtree_sitter_python.a" \
  $(pkg-config --libs tree-sitter) -lz
# Warm the page cache so the number is parse speed, not disk speed.
find "$root" -name '*.py' -exec cat {} + >/dev/null
taskset -c 0 "$out" "$root" "$edit" 200 2>/dev/null || "$out" "$root" "$edit" 200
