#!/bin/bash
# run.sh PTLINT_BIN WORK_DIR: npm ci (package-lock.json) into WORK_DIR, then
# node --test on lsp.test.js against PTLINT_BIN.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
work="$2"
command -v node >/dev/null || { echo "lsp_e2e: node is not installed (apt-get install nodejs npm)"; exit 1; }
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/lsp.test.js" "$here/../../editors/make_fixture.py" "$work/"
cd "$work"
if [ ! -d node_modules/vscode-jsonrpc ] || ! cmp -s package-lock.json node_modules/.package-lock-copy 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock-copy
fi
export PTLINT_BIN="$bin"
export PTLINT_PYTHON="${PTLINT_PYTHON:-/usr/bin/python3}"
exec node --test --test-concurrency=1 lsp.test.js
