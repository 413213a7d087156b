#!/usr/bin/env bash
# Installs what ptlint needs, builds it, makes the example checkpoints with
# real torch.save (using the code as it was at training time, history/), and
# runs ptlint's main job on the project as it is today: `ptlint src/ ckpt/`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel 2 --target ptlint
/usr/bin/python3 examples/train.py
cd examples
set +e
../build/ptlint src/ ckpt/
status=$?
set -e
echo
echo "ptlint exit code: $status (0 clean, 1 findings, 2 usage or internal error)"
echo "What one checkpoint holds: build/ptlint inspect examples/ckpt/model_and_optim.pt"
