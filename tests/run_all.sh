#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root):
# installs the dependencies, builds ptlint, makes real fixtures with torch.save,
# runs every test through ctest, then the sanitizer build of the reader tests
# and a bounded libFuzzer run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel 2
ctest --test-dir build --output-on-failure --parallel 2 --no-tests=error
bash tests/sanitize_and_fuzz.sh
