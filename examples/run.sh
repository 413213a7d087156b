#!/usr/bin/env bash
# Installs what ptlint needs, builds it, makes the example checkpoints with
# real torch.save and runs ptlint on them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel 2 --target ptlint
/usr/bin/python3 examples/train.py
set +e
./build/ptlint inspect examples/ckpt
status=$?
set -e
echo "ptlint exit code: $status (0 nothing wrong, 1 problems found, 2 usage/internal error)"
