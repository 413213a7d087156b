#!/usr/bin/env bash
# The pre-commit hook, end to end, with Debian's pre-commit and no network:
#
#   editors/precommit_test.sh PTLINT_BINARY
#
# It publishes this repository's .pre-commit-hooks.yaml as a throwaway local
# hook repository, points a temporary project's .pre-commit-config.yaml at it
# (`repo: <path>`, `rev: <sha>`: pre-commit clones it with git, offline),
# runs `pre-commit install`, and makes real `git commit`s:
#   1. a clean project (checkpoint saved from today's class)   → committed;
#   2. a README-only change (no .py or checkpoint staged)      → hook skipped;
#   3. a drifted checkpoint staged                             → blocked, with
#      the PTL204 diagnostic on src/model.py in the output;
#   4. a source edit that no longer fits the committed checkpoint (only
#      src/model.py staged)                                    → blocked (PTL201).
# PTLINT_PYTHON (default /usr/bin/python3) must have torch: the checkpoints
# are made by real torch.save.
set -euo pipefail

fail() { echo "precommit_test: FAIL: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 PTLINT_BINARY" >&2; exit 2; }
ptlint_bin="$(realpath "$1")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$here")"
python="${PTLINT_PYTHON:-/usr/bin/python3}"

[[ -x "$ptlint_bin" ]] || fail "no ptlint binary at $1 (build it: ninja -C <build> ptlint)"
command -v pre-commit >/dev/null || fail "pre-commit is not on PATH (apt-get install pre-commit; .ci/deps.sh does)"
command -v git >/dev/null || fail "git is not on PATH"
"$python" -c 'import torch' 2>/dev/null || fail "$python cannot import torch (set PTLINT_PYTHON to Debian's /usr/bin/python3)"
echo "precommit_test: $(pre-commit --version), $(git --version), ptlint $("$ptlint_bin" --version 2>&1 | head -1)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ptlint-precommit.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Hermetic git and pre-commit: no user/system config, a private cache.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$tmp/gitconfig"
: >"$GIT_CONFIG_GLOBAL"
export PRE_COMMIT_HOME="$tmp/pre-commit-home"
export PRE_COMMIT_COLOR=never
git_() { git -c user.name="ptlint test" -c user.email="ptlint-test@example.invalid" \
             -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

# `ptlint` on PATH is the binary under test (language: system runs it from PATH).
mkdir "$tmp/bin"
ln -s "$ptlint_bin" "$tmp/bin/ptlint"
export PATH="$tmp/bin:$PATH"

# The hook repository: this checkout's .pre-commit-hooks.yaml, committed.
hooks="$tmp/hook-repo"
mkdir "$hooks"
cp "$repo_root/.pre-commit-hooks.yaml" "$hooks/"
git_ -C "$hooks" init -q
git_ -C "$hooks" add .pre-commit-hooks.yaml
git_ -C "$hooks" commit -q -m "ptlint hooks"
rev="$(git -C "$hooks" rev-parse HEAD)"

# The project.
proj="$tmp/project"
"$python" "$here/make_fixture.py" "$proj" --checkpoint clean
cat >"$proj/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: ptlint
EOF
echo "# fixture" >"$proj/README.md"
cd "$proj"
git_ init -q
pre-commit install >/dev/null

commit() {  # commit MESSAGE: runs git commit (the hook), output in $out, status in $status
  set +e
  out="$(git_ commit -m "$1" 2>&1)"
  status=$?
  set -e
  printf '%s\n' "$out" | sed 's/^/    | /'
}

echo "== 1. clean project: the commit must pass"
git_ add -A
commit "clean"
[[ $status -eq 0 ]] || fail "the clean commit was blocked (exit $status)"
grep -q '^ptlint.*Passed$' <<<"$out" || fail "the ptlint hook did not run and pass on the clean commit"

echo "== 2. no .py or checkpoint staged: the hook is skipped"
echo "more" >>README.md
git_ add README.md
commit "docs"
[[ $status -eq 0 ]] || fail "a README-only commit was blocked (exit $status)"
grep -q '^ptlint.*Skipped$' <<<"$out" || fail "the ptlint hook was not skipped for a README-only commit"

echo "== 3. a drifted checkpoint staged: the commit must be blocked"
"$python" "$here/make_fixture.py" "$proj" --checkpoint drifted --checkpoint-only
git_ add ckpt/model.pt
head_before="$(git rev-parse HEAD)"
commit "drifted checkpoint"
[[ $status -ne 0 ]] || fail "the commit with a drifted checkpoint was not blocked"
[[ "$(git rev-parse HEAD)" == "$head_before" ]] || fail "HEAD moved although the hook failed"
grep -q '^ptlint.*Failed$' <<<"$out" || fail "the ptlint hook did not report Failed"
grep -q 'src/model.py:8:9: PTL204' <<<"$out" || fail "the PTL204 diagnostic (src/model.py:8:9) is not in the output"
grep -q 'ckpt/model.pt' <<<"$out" || fail "the diagnostic does not name the checkpoint"

echo "== 4. a source edit that no longer fits the committed checkpoint: blocked"
git_ reset -q --hard
sed -i 's/self\.norm = nn\.LayerNorm(hidden)/self.norm = nn.LayerNorm(hidden)\n        self.dropout_scale = nn.Parameter(torch.ones(1))/' src/model.py
grep -q dropout_scale src/model.py || fail "could not edit src/model.py"
git_ add src/model.py
commit "new parameter"
[[ $status -ne 0 ]] || fail "the commit of a model that no longer fits ckpt/model.pt was not blocked"
grep -q 'PTL201' <<<"$out" || fail "the PTL201 (missing key) diagnostic is not in the output"

echo "precommit_test: PASS"
