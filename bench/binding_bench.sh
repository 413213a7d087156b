#!/bin/bash
# Cost against the number of checkpoints and of files: `ptlint check
# <torchvision source: 1 file, models/, all 151 files> <N state dicts of its
# builders>` for N = 0, 1, 18, 100 (the 18 are
# distinct architectures; 100 repeats them under other names). Prints wall
# and user CPU seconds per row (the machine may be shared: user time is the
# steadier number).
#   bash bench/binding_bench.sh [build-dir] [work-dir]
# A speed-up must leave every output as it was: bench/output_identity.sh
# records the JSON of examples/, the rule cases and this set, and compares.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
work="${2:-/tmp/ptlint_binding_bench}"
mkdir -p "$work/all"
tv="$(/usr/bin/python3 -c 'import os, torchvision; print(os.path.dirname(torchvision.__file__))')"
if [ ! -d "$work/torchvision" ]; then
  (cd "$tv/.." && find torchvision -name '*.py' -exec cp --parents {} "$work" \;)
fi
cd "$work"
/usr/bin/python3 -I - <<'PY'
import os, torch, torchvision
names = ["alexnet", "squeezenet1_0", "squeezenet1_1", "resnet18", "resnet34", "mobilenet_v2",
         "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
         "mnasnet0_5", "mnasnet1_0", "regnet_y_400mf", "regnet_x_400mf", "googlenet", "densenet121",
         "efficientnet_b0", "vgg11"]
for n in names:
    p = f"all/{n}.pt"
    if not os.path.exists(p):
        kw = {"weights": None}
        if n == "googlenet":
            kw["init_weights"] = False
        torch.save(torchvision.models.get_model(n, **kw).state_dict(), p)
for count in (1, 18, 100):
    d = f"ckpt{count}"
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        src = os.path.abspath(f"all/{names[i % len(names)]}.pt")
        dst = f"{d}/{i:03d}_{names[i % len(names)]}.pt"
        if not os.path.exists(dst):
            os.link(src, dst)
PY
# Rows: the source (one file, the models package, all of torchvision) against
# the number of checkpoints (0 = indexing and call sites only).
echo "files  checkpoints  wall_s  user_s  findings"
for source in torchvision/models/resnet.py torchvision/models torchvision; do
  files="$(find "$source" -name '*.py' | wc -l)"
  for count in 0 1 18 100; do
    args=("$source")
    [ "$count" -gt 0 ] && args+=("ckpt$count")
    /usr/bin/time -f "%e %U" -o time.txt "$build/ptlint" check "${args[@]}" --output-format concise --exit-zero > out.txt
    read -r wall user < time.txt
    printf "%5s  %11s  %6s  %6s  %8s\n" "$files" "$count" "$wall" "$user" "$(grep -c ': PTL' out.txt || true)"
  done
done
