#!/usr/bin/env bash
# One clang build with AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer instrumentation, used twice:
# 1. the reader tests (every test executable whose source parses hostile
#    bytes, and the JSON writer and renderers, whose hot loops write without
#    per-byte capacity checks), run through ctest;
# 2. every analyzer/*/*_fuzz.cc target, run for PTLINT_FUZZ_SECONDS each
#    (default 45) from its committed seed corpus (copied to a scratch folder
#    so runs never write into the repo). The per-input timeout is 30 s: the
#    "DEEP" seeds (10^6 nesting levels) take ~5 s under ASan on an idle
#    machine and twice that on a loaded one; a real hang still trips it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${PTLINT_FUZZ_SECONDS:-45}
# A fixed seed keeps CI reproducible (a red run can be replayed); set
# PTLINT_FUZZ_SEED=0 for a fresh random seed when hunting locally.
seed=${PTLINT_FUZZ_SEED:-1}

reader_tests='pickle_machine_test|zip_reader_test|safetensors_reader_test|checkpoint_reader_test|object_interpreter_test|corpus_reader_test|pickle_safety_test|pickle_opcodes_test|json_writer_test|checkpoint_json_test|report_formats_test|restricted_unpickler_test'

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPTLINT_FUZZ=ON -DPTLINT_WITH_TORCH=OFF
targets=$(ls analyzer/*/*_test.cc render/*_test.cc tests/*_test.cc 2>/dev/null | xargs -n1 basename | sed 's/\.cc$//' | grep -E "^(${reader_tests})$" || true)
targets="$targets $(ls analyzer/*/*_fuzz.cc | xargs -n1 basename | sed 's/\.cc$//')"
# shellcheck disable=SC2086
cmake --build build-fuzz --parallel 2 --target $targets
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-fuzz --output-on-failure --parallel 2 --no-tests=error -L "^(${reader_tests})$"

failed=0
for src in analyzer/*/*_fuzz.cc; do
  name=$(basename "$src" .cc)
  seeds="tests/fuzz/${name%_fuzz}"
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
  echo "== fuzzing $name for ${seconds}s (seeds: $(ls "$work" | wc -l))"
  mkdir -p build-fuzz/artifacts
  if ! ./build-fuzz/"$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -seed="$seed" \
          -artifact_prefix=build-fuzz/artifacts/"$name"- -print_final_stats=1 "$work" 2>&1 | tail -n 15; then
    echo "FUZZ FAILURE: $name"; failed=1
  fi
  rm -rf "$work"
done
exit $failed
