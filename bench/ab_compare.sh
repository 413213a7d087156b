#!/bin/bash
# Two ptlint binaries on the same command, run alternately (A, B, A, B...)
# so that a change in the machine's load hits both alike; prints the median
# wall and CPU (user + system) seconds of each, and B's change. On a shared
# machine whose timings drift by ±25 % between minutes, this is how the
# README's "in the same pairing" wall times are measured.
#   bash bench/ab_compare.sh OLD_PTLINT NEW_PTLINT [runs] -- <ptlint arguments>
# e.g. (after bench/binding_bench.sh made its set in /tmp/ptlint_binding_bench):
#   cd /tmp/ptlint_binding_bench && bash ~/ptlint/bench/ab_compare.sh /tmp/old/ptlint \
#     ~/ptlint/build/ptlint 11 -- check torchvision ckpt18 --output-format concise --exit-zero
set -euo pipefail
a="${1:?old ptlint binary}"
b="${2:?new ptlint binary}"
shift 2
runs=11
if [ "${1:-}" != "--" ]; then
  runs="${1:?runs}"
  shift
fi
[ "${1:-}" = "--" ] || { echo "usage: ab_compare.sh OLD NEW [runs] -- <ptlint arguments>" >&2; exit 2; }
shift
timing="$(mktemp)"
trap 'rm -f "$timing"' EXIT
declare -a wall_a wall_b cpu_a cpu_b
run() {  # binary, arguments -> "wall cpu"
  local bin="$1"
  shift
  /usr/bin/time -f "%e %U %S" -o "$timing" "$bin" "$@" >/dev/null 2>&1 || true
  awk '{printf "%s %.3f\n", $1, $2 + $3}' "$timing"
}
for _ in $(seq "$runs"); do
  read -r w c < <(run "$a" "${@}")
  wall_a+=("$w"); cpu_a+=("$c")
  read -r w c < <(run "$b" "${@}")
  wall_b+=("$w"); cpu_b+=("$c")
done
median() { printf "%s\n" "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ma="$(median "${wall_a[@]}")"; mb="$(median "${wall_b[@]}")"
ca="$(median "${cpu_a[@]}")"; cb="$(median "${cpu_b[@]}")"
echo "runs: $runs each, alternating"
printf "A %-50s wall %6.3f s  cpu %6.3f s\n" "$a" "$ma" "$ca"
printf "B %-50s wall %6.3f s  cpu %6.3f s\n" "$b" "$mb" "$cb"
awk -v a="$ma" -v b="$mb" -v x="$ca" -v y="$cb" \
  'BEGIN {printf "B/A: wall %+.1f %%, cpu %+.1f %%\n", (b / a - 1) * 100, (y / x - 1) * 100}'
