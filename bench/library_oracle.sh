#!/bin/bash
# The library oracle over every builder (tests/library_oracle.py --all):
# torchvision's list_models(), torchaudio.models' argument-free builders,
# torch.nn layers. Tensors are saved as stride-0 views (same shapes and
# dtypes) so that 118 models fit in a few hundred MB.
#   bash bench/library_oracle.sh [build-dir] [work-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
work="${2:-/tmp/ptlint_library_oracle}"
exec /usr/bin/python3 "$here/tests/library_oracle.py" --ptlint "$build/ptlint" --work "$work" --all \
  --libraries torchvision,torchaudio,torchtext,nn --known "$here/tests/library_oracle_known.txt" \
  --json "$work/results.json"
