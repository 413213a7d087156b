#!/bin/bash
# ThreadSanitizer over the runs that use several threads: a
# -fsanitize=thread build of the ptlint binary (no mimalloc), then
#   - check of the binding bench set (torchvision's source, 18 and 100
#     checkpoints: call sites, checkpoint reading, candidate prediction),
#   - check of torch's own package with 18 checkpoints,
#   - the language server's first index of torch's package.
# Prints the number of reports per run; exits 1 if any.
#   bash bench/tsan_check.sh [tsan-build-dir] [bench-work-dir]
# Needs the bench set (bash bench/binding_bench.sh build /tmp/ptlint_binding_bench).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-/tmp/ptlint_tsan_build}"
work="${2:-/tmp/ptlint_binding_bench}"
torch_dir=/usr/lib/python3/dist-packages/torch
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -O1 -g" -DCMAKE_C_FLAGS="-fsanitize=thread -O1 -g" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$build" --parallel 2 --target ptlint >/dev/null
ptlint="$build/ptlint"
logs="$(mktemp -d)"
total=0
run() {  # name, then the command
  local name="$1"; shift
  TSAN_OPTIONS="halt_on_error=0 log_path=$logs/$name" "$@" >/dev/null 2>&1 || true
  local n
  n="$(cat "$logs/$name".* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer' || true)"
  printf "%-28s %s reports\n" "$name" "$n"
  total=$((total + n))
}
cd "$work"
run bench_18 "$ptlint" check torchvision ckpt18 --exit-zero
run bench_100 "$ptlint" check torchvision ckpt100 --exit-zero
run torch_18 "$ptlint" check "$torch_dir" ckpt18 --exit-zero
cat > "$logs/lsp.py" <<PY
import sys
sys.path.insert(0, "$here/bench")
import lsp_bench as lb
caps = {"textDocument": {"diagnostic": {}}, "window": {"workDoneProgress": True}}
c = lb.Client("$ptlint", "$torch_dir", caps, {"debounce": 0, "pollInterval": 0})
c.wait_progress_end()
c.close()
PY
run lsp_first_index_torch /usr/bin/python3 "$logs/lsp.py"
echo "reports under $logs"
[ "$total" -eq 0 ]
