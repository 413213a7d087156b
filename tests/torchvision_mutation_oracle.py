#!/usr/bin/python3
"""Mutation oracle on torchvision's own model code (library code nobody tuned ptlint for).

Reuses tests/mutation_oracle.py's class edits (class_mutants) and scoring on a
copy of the installed torchvision (Debian, 0.14):

  1. the installed package directory (with its compiled .so files) is copied
     to WORK/pristine/torchvision; the worker runs every script with
     WORK/pristine first on sys.path, so the COPY is imported (checked:
     torchvision.__file__);
  2. for each builder, real torch saves `model.state_dict()` of the ORIGINAL
     copy (weights=None) to ckpt/<name>.pt and a loader load_<name>.py is
     written next to the copy (`m = <builder>(); m.load_state_dict(...)`, so
     ptlint links the load site to the builder);
  3. each builder's model file (torchvision/models/<file>.py) is mutated one
     edit at a time (a deterministic, kind-stratified sample of at most
     --per-file edits); real torch runs the loaders of the builders defined in
     that file; `ptlint check --output-format json .` runs on the whole copy;
  4. scoring is mutation_oracle.py's: a real break is found when an error with
     one of the edit's rules sits on an edited line; an error on a pair that
     loads is a false finding. A finding on a checkpoint of ANOTHER file's
     builder is checked by real torch too and, when that loader still loads,
     counted as a false finding ("collateral").

Torch and torchvision run only in tests/mutation_oracle_torch.py (the forking
worker); this process never imports them nor the scanned tree.
Not in ctest (minutes): bench/torchvision_mutation_oracle.sh.
"""
import argparse
import ast
import collections
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutation_oracle as mo  # noqa: E402  (no torch: the oracle's own helpers)

# builder -> (model file under torchvision/models, constructor keywords)
BUILDERS = collections.OrderedDict([
    ("resnet18", ("resnet.py", "")),
    ("alexnet", ("alexnet.py", "")),
    ("vgg11", ("vgg.py", "")),
    ("squeezenet1_1", ("squeezenet.py", "")),
    ("mobilenet_v2", ("mobilenetv2.py", "")),
    ("densenet121", ("densenet.py", "")),
    ("shufflenet_v2_x0_5", ("shufflenetv2.py", "")),
    ("mnasnet0_5", ("mnasnet.py", "")),
    ("efficientnet_b0", ("efficientnet.py", "")),
    ("regnet_x_400mf", ("regnet.py", "")),
    ("googlenet", ("googlenet.py", "init_weights=False")),
    ("regnet_y_400mf", ("regnet.py", "")),
])
# googlenet and regnet_y_400mf (regnet.py again, with squeeze-excitation) are
# known but not run by default (keeps the bench under ~15 minutes).
DEFAULT = [b for b in BUILDERS if b not in ("googlenet", "regnet_y_400mf")]

SAVE = """import os
import sys
import torch
import torchvision
from torchvision import models
here = os.path.realpath(os.getcwd())
assert os.path.realpath(torchvision.__file__).startswith(here + os.sep), torchvision.__file__
os.makedirs("ckpt", exist_ok=True)
for name, kw in {builders!r}.items():
    torch.manual_seed(0)
    m = eval("models." + name + "(" + kw + ")")
    torch.save(m.state_dict(), os.path.join("ckpt", name + ".pt"))
"""

LOADER = """import torch
from torchvision.models import {name}

m = {name}({kw})
m.load_state_dict(torch.load("ckpt/{name}.pt"))
"""


def loader_name(b):
    return f"load_{b}.py"


def ckpt_of(_m, loader):
    return f"ckpt/{loader[len('load_'):-len('.py')]}.pt"


def sample(mutants, k):
    """At most k edits, deterministically: round-robin over the kinds (in first-seen
    order), each kind's edits evenly spaced through the file."""
    if k <= 0 or len(mutants) <= k:
        return mutants
    by_kind = collections.OrderedDict()
    for m in mutants:
        by_kind.setdefault(m.kind, []).append(m)
    # Evenly spaced order within each kind: 0, n/2, n/4, 3n/4, ... (bit-reversal-ish).
    queues = []
    for ms in by_kind.values():
        order, seen = [], set()
        step = len(ms)
        while len(order) < len(ms):
            for i in range(0, len(ms), max(step, 1)):
                if i not in seen:
                    seen.add(i)
                    order.append(ms[i])
            step //= 2
            if step == 0:
                step = 1
        queues.append(collections.deque(order))
    out = []
    while len(out) < k:
        for q in queues:
            if q and len(out) < k:
                out.append(q.popleft())
    keep = {id(m) for m in out}
    return [m for m in mutants if id(m) in keep]


def plain_class_spans(text):
    """Line spans of the classes that are not modules: no base, or only bases of this
    file that are not modules (e.g. efficientnet's _MBConvConfig, regnet's BlockParams).
    An edit there (a register_buffer on a config object) breaks the code, not the load."""
    plain, spans = set(), []
    for n in ast.parse(text).body:
        if isinstance(n, ast.ClassDef):
            if not n.bases or all(isinstance(b, ast.Name) and b.id in plain for b in n.bases):
                plain.add(n.name)
                spans.append((n.lineno, n.end_lineno))
    return spans


def diff_line(m, pristine):
    """The first changed line of the edit, as `path:line: -old / +new`."""
    for rel, text in m.files.items():
        old = open(os.path.join(pristine, rel)).read().splitlines()
        new = (text or "").splitlines()
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else ""
            b = new[i] if i < len(new) else ""
            if a != b:
                return f"{rel}:{i + 1}: -{a.strip()[:110]} | +{b.strip()[:110]}"
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ptlint", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--python", default="/usr/bin/python3", help="the interpreter with torch and torchvision")
    ap.add_argument("--models", default=",".join(DEFAULT), help="comma-separated builders")
    ap.add_argument("--per-file", type=int, default=20, help="edits per model file (0: all)")
    ap.add_argument("--json")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.ptlint = os.path.abspath(args.ptlint)
    args.work = os.path.abspath(args.work)
    t0 = time.time()
    names = [b for b in args.models.split(",") if b]
    for b in names:
        if b not in BUILDERS:
            ap.error(f"unknown builder {b} (known: {', '.join(BUILDERS)})")
    files = collections.OrderedDict()
    for b in names:
        files.setdefault("torchvision/models/" + BUILDERS[b][0], []).append(b)

    pristine = os.path.join(args.work, "pristine")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(pristine)
    # Ask the torch interpreter where its torchvision is (this process must not import it).
    src = subprocess.run([args.python, "-c", "import importlib.util as u, os; "
                          "print(os.path.dirname(u.find_spec('torchvision').origin))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    shutil.copytree(src, os.path.join(pristine, "torchvision"), ignore=shutil.ignore_patterns("__pycache__"))
    save = os.path.join(args.work, "save_checkpoints.py")
    with open(save, "w") as f:
        f.write(SAVE.format(builders={b: BUILDERS[b][1] for b in names}))
    for b in names:
        with open(os.path.join(pristine, loader_name(b)), "w") as f:
            f.write(LOADER.format(name=b, kw=BUILDERS[b][1]))
    worker = mo.Torch(args.python)
    rows, pristine_false, collateral = [], [], []
    per_file = collections.OrderedDict()
    try:
        r = worker.run(pristine, save)
        if not r["ok"]:
            raise RuntimeError(f"saving the checkpoints failed: {r['error']}")
        for b in names:
            r = worker.run(pristine, loader_name(b))
            if not r["ok"]:
                raise RuntimeError(f"pristine {loader_name(b)} does not load: {r['error']}")
        for dp, dns, _ in os.walk(pristine):
            if "__pycache__" in dns:
                shutil.rmtree(os.path.join(dp, "__pycache__"))
        report = mo.run_ptlint(args.ptlint, pristine)
        pristine_report = report
        for ck, ds in mo.findings_by_ckpt(report).items():
            pristine_false += [f"pristine {ck}: {d['code']} {mo.norm(d['location']['path'])}:"
                               f"{d['location']['line']} {d['message'][:200]}" for d in ds]
        bd = mo.bindings(report)
        print("pristine bindings: " + ", ".join(f"{ck}={v.get('class')} ({v.get('how')})"
                                                for ck, v in sorted(bd.items())))
        dest = os.path.join(args.work, "mutant")
        for rel, bs in files.items():
            with open(os.path.join(pristine, rel)) as f:
                text = f.read()
            collected = []
            counter = collections.Counter()
            pkg = os.path.basename(rel)[:-3]

            def add(kind, fs, targets, rules, **kw):
                counter[kind] += 1
                collected.append(mo.Mutant(pkg, f"{pkg}/{kind}#{counter[kind]}", kind, fs, targets, rules, **kw))

            mo.class_mutants(rel, {rel: text}, add)
            spans = plain_class_spans(text)
            collected = [m for m in collected
                         if not any(a <= ln <= b + 1 for _, ln in m.targets for a, b in spans)]
            chosen = sample(collected, args.per_file)
            per_file[rel] = (len(collected), len(chosen))
            own = [loader_name(b) for b in bs]
            others = [loader_name(b) for b in names if b not in bs]
            for m in chosen:
                mo.materialize(m, pristine, None, dest)
                verdicts = {ld: worker.run(dest, ld) for ld in own}
                for dp, dns, _ in os.walk(dest):
                    if "__pycache__" in dns:
                        shutil.rmtree(os.path.join(dp, "__pycache__"))
                report = mo.run_ptlint(args.ptlint, dest)
                new_rows = mo.score_mutant(m, verdicts, report, ckpt_of)
                for row in new_rows:
                    row["diff"] = diff_line(m, pristine)
                    row["file"] = rel
                rows += new_rows
                fb = mo.findings_by_ckpt(report)
                for ld in others:
                    if fb.get(ckpt_of(m, ld)):
                        v = worker.run(dest, ld)
                        row = mo.score_mutant(m, {ld: v}, report, ckpt_of)[0]
                        row["diff"] = diff_line(m, pristine)
                        row["file"] = rel
                        collateral.append(row)
                        if args.verbose:
                            print(f"  collateral {row['pair']}: break={row['break']}")
            print(f"  {rel}: {len(chosen)}/{len(collected)} edits, {time.time() - t0:.0f} s", flush=True)
    finally:
        worker.close()

    print()
    print(mo.HEADER)
    print(mo.table(rows, "all"))
    print(mo.table([r for r in rows if r["known"]], "construction known"))
    for rel in files:
        print(mo.table([r for r in rows if r["file"] == rel], "  " + os.path.basename(rel)))
    for kind in sorted({r["kind"] for r in rows}):
        print(mo.table([r for r in rows if r["kind"] == kind], "  " + kind))
    print("edits per file (sampled/all): " + ", ".join(f"{os.path.basename(r)} {c}/{a}"
                                                       for r, (a, c) in per_file.items()))
    false_pairs = [r for r in rows if not r["break"] and r["findings"]]
    coll_false = [r for r in collateral if not r["break"]]
    missed = [r for r in rows if r["break"] and not r["found"]]

    def show(tag, r):
        print(f"  {tag} {r['pair']} [{r['note']}] bound {r['binding']}")
        print(f"      edit: {r['diff']}")
        if r["break"]:
            print(f"      torch: {r['torch_error'][:220]}")
        print("      ptlint: " + (" | ".join(r["findings"][:4]) or "silent"))

    for r in false_pairs:
        show("FALSE", r)
    for r in coll_false:
        show("FALSE (other file's checkpoint)", r)
    for r in missed:
        show("MISSED" + (" (known constr.)" if r["known"] else ""), r)
    for p in pristine_false:
        print(f"  PRISTINE FALSE {p}")
    print(f"  {len(rows)} pairs ({len(collateral)} other-file checks, {len(coll_false)} false) "
          f"in {time.time() - t0:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "collateral": collateral, "pristine_false": pristine_false,
                       "pristine_checkpoints": pristine_report["checkpoints"]}, f, indent=1)
    return 1 if (false_pairs or coll_false or pristine_false) else 0


if __name__ == "__main__":
    sys.exit(main())
