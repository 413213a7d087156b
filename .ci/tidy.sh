#!/usr/bin/env bash
# clang-tidy (.clang-tidy) on the C++ files the latest change touches (fails
# on its errors), and clang-format (.clang-format) on the lines it touches. Needs a configured
# build folder for compile_commands.json.
#
#   bash .ci/tidy.sh [BUILD_DIR] [BASE_REV]
#
# BASE_REV defaults to HEAD~1 (CI runs on a fresh clone of main, so the
# latest commit is the change); with no such revision it does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
base=${2:-HEAD~1}
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null 2>&1; then
  echo "tidy: no $base to compare with; nothing to check"
  exit 0
fi
mapfile -t files < <(git diff --name-only --diff-filter=AM "$base" -- '*.cc' '*.h' |
                     grep -E '^(analyzer|rules|render|lsp|cli|bench)/' || true)
if ((${#files[@]} == 0)); then
  echo "tidy: no C++ files changed since $base"
  exit 0
fi
status=0
sources=()
for f in "${files[@]}"; do
  [[ $f == *.cc && -f $f ]] && sources+=("$f")
done
if ((${#sources[@]})); then
  echo "tidy: clang-tidy on ${#sources[@]} file(s)"
  clang-tidy -p "$build" --quiet "${sources[@]}" 2>/dev/null || status=1
fi
# Formatting: only the lines this change touched, so old code is not
# reformatted wholesale. Advisory: printed, not failing (the tree predates
# .clang-format and moved code keeps its layout).
if command -v clang-format-diff >/dev/null 2>&1 || [ -x /usr/bin/clang-format-diff-14 ]; then
  fmt_diff=$(command -v clang-format-diff || echo /usr/bin/clang-format-diff-14)
  out=$(git diff -U0 --no-color "$base" -- "${files[@]}" | "$fmt_diff" -p1 || true)
  if [ -n "$out" ]; then
    echo "tidy (advisory): lines not formatted as .clang-format says:"
    echo "$out" | head -60
  fi
fi
exit $status
