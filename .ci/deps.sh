#!/usr/bin/env bash
# Installs everything ptlint needs to build and test, from Debian 12 packages
# (and, at configure time, the pinned tree-sitter-python grammar from npm).
# Idempotent: a second run installs nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev          # libFuzzer and the sanitizer runtimes
  clang-tidy clang-format           # .ci/tidy.sh
  libtree-sitter-dev                # tree-sitter 0.20.7 (loads ABI 14 grammars)
  nlohmann-json3-dev libtomlplusplus-dev zlib1g-dev
  libcli11-dev                      # the command-line parser (header-only)
  libmimalloc-dev                   # the allocator of the ptlint binary (CMakeLists.txt says why)
  libgtest-dev libgmock-dev
  libtorch-dev                      # the LibTorch oracle (differential tests, inspect --deep)
  python3 python3-torch python3-torchaudio python3-numpy   # real fixtures via torch.save
  python3-torchvision               # the library oracle (tests/library_oracle.py)
  nodejs npm                        # the pinned grammar, the VS Code extension, LSP e2e tests
  neovim                            # headless LSP client test
  esbuild                           # bundles the VS Code extension (editors/vscode)
  pre-commit                        # the hook test (.pre-commit-hooks.yaml)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine image may ship its own node/npm outside dpkg: do not fight it.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  echo "ptlint: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
