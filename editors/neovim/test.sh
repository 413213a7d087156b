#!/usr/bin/env bash
# Headless Neovim receives ptlint's diagnostics through the plain vim.lsp
# snippet (editors/neovim/ptlint.lua; on Debian's Neovim 0.7.2 that is its
# start_client + buf_attach_client path).
#
#   editors/neovim/test.sh PTLINT_BINARY
#
# Makes the fixture project of editors/make_fixture.py (src/model.py with
# TinyNet, src/load.py loading ckpt/model.pt, the checkpoint saved by real
# torch.save from an older TinyNet) in a temp dir, then runs test.lua: open
# src/model.py, wait for a `ptlint` PTL2xx diagnostic on the line the CLI
# reports, edit the buffer so the PTL204 goes away, stop the server cleanly.
# PTLINT_PYTHON (default /usr/bin/python3) must have torch; NVIM (default
# nvim) is the editor; PTLINT_NVIM_TIMEOUT_MS (default 20000) bounds each wait.
set -euo pipefail

fail() { echo "neovim test: FAIL: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 PTLINT_BINARY" >&2; exit 2; }
ptlint_bin="$(realpath "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PTLINT_PYTHON:-/usr/bin/python3}"
nvim="${NVIM:-nvim}"

[[ -x "$ptlint_bin" ]] || fail "no ptlint binary at $1 (build it: ninja -C <build> ptlint)"
command -v "$nvim" >/dev/null || fail "$nvim is not on PATH (apt-get install neovim; .ci/deps.sh does)"
"$python" -c 'import torch' 2>/dev/null || fail "$python cannot import torch (set PTLINT_PYTHON to Debian's /usr/bin/python3)"
echo "neovim test: $("$nvim" --version | head -1), ptlint at $ptlint_bin"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ptlint-nvim.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

"$python" "$here/../make_fixture.py" "$tmp/project" --checkpoint drifted
# A real-size checkpoint beside it (PTLINT_NVIM_BIG_MB, default 300 MB of
# float32 zeros, saved by torch here), loaded by src/big_load.py: Neovim reads
# any file it gets diagnostics for to convert positions, so a server that
# published on checkpoints froze it for seconds per publish (issue 13 §1).
big_mb="${PTLINT_NVIM_BIG_MB:-300}"
if [[ "$big_mb" -gt 0 ]]; then
  "$python" -c 'import sys, torch; torch.save({"big.weight": torch.zeros(int(sys.argv[2]) * 262144)}, sys.argv[1])' \
    "$tmp/project/ckpt/big.pt" "$big_mb"
  printf 'import torch\n\nfrom model import TinyNet\n\n\ndef big():\n    model = TinyNet()\n    model.load_state_dict(torch.load("ckpt/big.pt"))\n    return model\n' \
    > "$tmp/project/src/big_load.py"
  echo "neovim test: ckpt/big.pt is $(du -m "$tmp/project/ckpt/big.pt" | cut -f1) MB"
fi
echo "neovim test: what the CLI reports on the fixture:"
(cd "$tmp/project" && "$ptlint_bin" src/ ckpt/ --output-format concise) | sed 's/^/    | /' || true

# A private XDG tree: no user config, shada or plugins, and the LSP log
# (stdpath('cache')/lsp.log, where the server's stderr also goes) in $tmp.
export XDG_CONFIG_HOME="$tmp/xdg/config" XDG_DATA_HOME="$tmp/xdg/data" \
       XDG_STATE_HOME="$tmp/xdg/state" XDG_CACHE_HOME="$tmp/xdg/cache"
export PTLINT_BIN="$ptlint_bin" PTLINT_FIXTURE="$tmp/project" \
       PTLINT_NVIM_SNIPPET="$here/ptlint.lua" PTLINT_NVIM_RESULT="$tmp/result.txt"

set +e
# `timeout` is the last resort if nvim itself hangs (each wait in test.lua is bounded).
timeout 120 "$nvim" --headless -u NONE -i NONE --noplugin -n \
  -c "luafile $here/test.lua" </dev/null >"$tmp/nvim.out" 2>&1
status=$?
set -e

if [[ -s "$tmp/result.txt" ]]; then
  sed 's/^/    | /' "$tmp/result.txt"
fi
if [[ $status -ne 0 || ! -s "$tmp/result.txt" ]] || ! grep -q '^RESULT: PASS$' "$tmp/result.txt"; then
  echo "neovim test: nvim exit status $status; nvim output:"
  sed 's/^/    | /' "$tmp/nvim.out" | tail -40; echo
  log="$(find "$tmp/xdg/cache" -name 'lsp.log' 2>/dev/null | head -1)"
  if [[ -n "$log" ]]; then
    echo "neovim test: last lines of $log:"
    tail -40 "$log" | cut -c1-400 | sed 's/^/    | /'
  fi
  [[ $status -eq 124 ]] && fail "nvim did not finish within 120 s"
  fail "see the report above"
fi
echo "neovim test: PASS"
