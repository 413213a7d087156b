#!/usr/bin/python3
"""Mutation oracle: real torch decides which edits break loading; ptlint must agree.

Issue 11 §1c. For each small model package in tests/mutation_models/ (a CNN
with Sequential, a GPT with a dataclass config and a ModuleList of blocks, a
U-Net with a `_make_layer` helper, an encoder with buffers and
persistent=False, an MLP package with a param-group training script):

  1. checkpoints are saved from the ORIGINAL code by real torch: a state dict
     (ckpt/model.pt), {model, optimizer, epoch} after one step (ckpt/last.pt),
     a whole pickle (ckpt/whole.pt) and a `module.`-prefixed copy kept
     outside the tree (used only by the "prefixed file" loader edit);
  2. an automated mutator edits the source the way people do (see MUTATORS);
  3. real torch runs the package's three loaders on the mutant (load.py:
     load_state_dict; resume.py: model + optimizer load and the first step();
     load_whole.py: torch.load of the whole pickle and one forward): a loader
     that raises is a real break of that checkpoint;
  4. `ptlint check --output-format json .` runs on the mutant, and each
     (mutant, loader) pair is scored: a real break is found when an error
     with one of the edit's rules sits on an edited line (or its owning
     statement, or a line that reads the edited default); an error on a pair
     that does not break is a false finding.

Torch runs only in tests/mutation_oracle_torch.py (a forking worker): this
process never imports torch nor the scanned tree.

`--sample` runs a fixed subset (ctest `mutation_oracle`); without it every
mutant runs (bench/mutation_oracle.sh). `--known FILE` lists accepted misses
and false findings (`pair-id  # reason`) and the recall floor
(`floor-known-recall: 0.NN`); the run fails on an unlisted false finding, on
known-construction recall below the floor, and (with --sample) on a listed
entry that no longer happens.
"""
import argparse
import ast
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "mutation_models")
WORKER = os.path.join(HERE, "mutation_oracle_torch.py")

LOADERS = {"load.py": "ckpt/model.pt", "resume.py": "ckpt/last.pt", "load_whole.py": "ckpt/whole.pt"}
DRIFT = ("PTL1", "PTL2", "PTL3", "PTL4")
# Bindings where the construction ptlint judges against is the one the code uses.
KNOWN_HOW = ("explicit", "call-site", "pickled-module")

LAYERS = {"Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
          "Embedding", "EmbeddingBag", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm",
          "LSTM", "GRU", "RNN", "Bilinear", "InstanceNorm2d", "PReLU", "MultiheadAttention"}
BIAS_LAYERS = {"Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
               "ConvTranspose3d", "LSTM", "GRU", "RNN", "Bilinear"}
# Keywords whose value never changes a parameter's shape.
SHAPELESS_KW = {"padding", "stride", "dilation", "p", "inplace", "eps", "momentum", "dim", "batch_first",
                "dropout", "negative_slope", "output_padding", "padding_mode"}

R_RENAME = {"PTL204", "PTL201", "PTL202", "PTL104"}
R_REMOVE = {"PTL202", "PTL401", "PTL403"}
R_ADD = {"PTL201", "PTL401", "PTL104"}
R_SHAPE = {"PTL203", "PTL403", "PTL201", "PTL202", "PTL401"}
R_KEYS = {"PTL201", "PTL202", "PTL204", "PTL203", "PTL401", "PTL403"}
R_CLASS = {"PTL101", "PTL102"}


class Mutant:
    def __init__(self, pkg, mid, kind, files, targets, rules, extra=None, note=""):
        self.pkg, self.id, self.kind = pkg, mid, kind
        self.files = files          # relpath -> new text (None: delete)
        self.targets = targets      # {(relpath, line)}
        self.rules = rules
        self.extra = extra or {}    # relpath -> source path to copy (prefixed checkpoint)
        self.note = note


def stmt_lines(node):
    return set(range(node.lineno, node.end_lineno + 1))


def call_name(call):
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def self_attr_target(stmt):
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t = stmt.targets[0]
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
            return t.attr
    return None


def replace_span(lines, node, new_segment):
    """Replaces the source of `node` (an expression) in `lines` (list, keepends)."""
    sl, sc, el, ec = node.lineno - 1, node.col_offset, node.end_lineno - 1, node.end_col_offset
    # col offsets are UTF-8 byte offsets; the packages are ASCII.
    head = lines[sl][:sc]
    tail = lines[el][ec:]
    new = head + new_segment + tail
    return lines[:sl] + [new] + lines[el + 1:]


def is_model_file(rel):
    return rel.endswith(".py") and os.path.basename(rel) not in LOADERS


def walk_init(cls):
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return item
    return None


def class_mutants(rel, texts, add):
    """The edits of the classes of one model file (`texts[rel]`): `add(kind, files, targets, rules, note=)`
    receives each. `texts` holds the files a config field may be read in. Shared with
    tests/torchvision_mutation_oracle.py, which mutates library code."""
    src = texts[rel]
    lines = src.splitlines(keepends=True)
    tree = ast.parse(src)
    has_torch = re.search(r"^import torch$", src, re.M) is not None
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        init = walk_init(cls)
        dataclass = any(isinstance(d, ast.Name) and d.id == "dataclass" for d in cls.decorator_list)
        if dataclass:
            for st in cls.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.value, ast.Constant) and \
                        isinstance(st.target, ast.Name):
                    v = st.value.value
                    if isinstance(v, bool):
                        new = repr(not v)
                    elif isinstance(v, int):
                        new = repr(v * 2)
                    else:
                        continue
                    name = st.target.id
                    uses = {(r, i + 1) for r, t in texts.items() if is_model_file(r)
                            for i, ln in enumerate(t.splitlines()) if re.search(rf"\.{name}\b", ln)}
                    add("config-default", {rel: "".join(replace_span(lines, st.value, new))},
                        {(rel, st.lineno)} | uses, R_KEYS, note=f"{cls.name}.{name} = {new}")
        if init is None:
            continue
        # Shape-driving defaults of __init__.
        a = init.args
        for arg, dflt in zip(a.args[len(a.args) - len(a.defaults):], a.defaults):
            if isinstance(dflt, ast.Constant) and isinstance(dflt.value, (int, bool)) and dflt.value is not None:
                v = dflt.value
                new = repr(not v) if isinstance(v, bool) else repr(v * 2)
                uses = {(rel, i + 1) for i in range(init.lineno - 1, init.end_lineno)
                        if re.search(rf"\b{arg.arg}\b", lines[i])}
                add("init-default", {rel: "".join(replace_span(lines, dflt, new))}, {(rel, init.lineno)} | uses,
                    R_KEYS, note=f"{cls.name}({arg.arg}={new})")
        cls_lines = range(cls.lineno - 1, cls.end_lineno)
        last_top = None
        for st in ast.walk(init):
            if not isinstance(st, ast.stmt) or st is init:
                continue
            attr = self_attr_target(st)
            if st in init.body and (attr or isinstance(st, ast.Expr)):
                last_top = st
            if attr:
                # Rename the attribute everywhere in the class (what a refactor does).
                new_lines = list(lines)
                for i in cls_lines:
                    new_lines[i] = re.sub(rf"\bself\.{attr}\b", f"self.{attr}_v2", new_lines[i])
                add("rename-attr", {rel: "".join(new_lines)}, {(rel, ln) for ln in stmt_lines(st)}, R_RENAME,
                    note=f"{cls.name}.{attr}")
                # Remove the statement when it is not alone in its block.
                if isinstance(st.value, ast.Call) or isinstance(st.value, ast.IfExp):
                    parent_body = next((b for n in ast.walk(init) for b in
                                        [getattr(n, "body", None), getattr(n, "orelse", None)]
                                        if isinstance(b, list) and st in b), None)
                    if parent_body is not None and len(parent_body) > 1:
                        new_lines = lines[:st.lineno - 1] + lines[st.end_lineno:]
                        add("remove-attr", {rel: "".join(new_lines)},
                            {(rel, st.lineno - 1), (rel, st.lineno), (rel, cls.lineno)}, R_REMOVE,
                            note=f"{cls.name}.{attr}")
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and \
                    call_name(st.value) == "register_buffer" and st.value.args and \
                    isinstance(st.value.args[0], ast.Constant):
                bname = st.value.args[0].value
                new_lines = list(lines)
                for i in cls_lines:
                    new_lines[i] = re.sub(rf"\bself\.{bname}\b", f"self.{bname}_v2", new_lines[i])
                new_lines = replace_span(new_lines, st.value.args[0], repr(bname + "_v2"))
                add("rename-attr", {rel: "".join(new_lines)}, {(rel, ln) for ln in stmt_lines(st)}, R_RENAME,
                    note=f"{cls.name}.{bname} (buffer)")
                kw = next((k for k in st.value.keywords if k.arg == "persistent"), None)
                if kw is not None:
                    seg = ast.get_source_segment(src, st.value)
                    # Drop `, persistent=False`.
                    kseg = ast.get_source_segment(src, kw)
                    new_seg = re.sub(r",\s*" + re.escape(kseg), "", seg)
                    new_lines = replace_span(lines, st.value, new_seg)
                    note = f"{cls.name}.{bname} persistent"
                else:
                    seg = ast.get_source_segment(src, st.value)
                    new_lines = replace_span(lines, st.value, seg[:-1] + ", persistent=False)")
                    note = f"{cls.name}.{bname} non-persistent"
                add("toggle-persistent", {rel: "".join(new_lines)}, {(rel, ln) for ln in stmt_lines(st)},
                    {"PTL201", "PTL202"}, note=note)
            # Literal dims, bias and Sequential shifts inside the statement's calls.
            for call in [n for n in ast.walk(st) if isinstance(n, ast.Call)] if isinstance(
                    st, (ast.Assign, ast.Expr)) else []:
                name = call_name(call)
                owner = {(rel, ln) for ln in stmt_lines(st)}
                if name in LAYERS or name in ("zeros", "ones", "randn", "empty"):
                    consts = []
                    for arg in call.args:
                        consts += [n for n in ast.walk(arg) if isinstance(n, ast.Constant)
                                   and type(n.value) is int]
                    for k in call.keywords:
                        if k.arg not in SHAPELESS_KW and k.arg != "bias":
                            consts += [n for n in ast.walk(k.value) if isinstance(n, ast.Constant)
                                       and type(n.value) is int]
                    for c in consts:
                        new = str(c.value + 1)
                        add("literal-dim", {rel: "".join(replace_span(lines, c, new))},
                            {(rel, c.lineno)} | owner, R_SHAPE,
                            note=f"{name}: {c.value} -> {new} (line {c.lineno})")
                if name in BIAS_LAYERS:
                    kw = next((k for k in call.keywords if k.arg == "bias"), None)
                    if kw is None:
                        seg = ast.get_source_segment(src, call)
                        new_lines = replace_span(lines, call, seg[:-1] + ", bias=False)")
                        note = f"{name} bias=False"
                    elif isinstance(kw.value, ast.Constant):
                        new_lines = replace_span(lines, kw.value, repr(not kw.value.value))
                        note = f"{name} bias={not kw.value.value}"
                    else:
                        new_lines = replace_span(lines, kw.value, "False")
                        note = f"{name} bias=False (was {ast.get_source_segment(src, kw.value)})"
                    add("toggle-bias", {rel: "".join(new_lines)}, {(rel, call.lineno)} | owner,
                        {"PTL201", "PTL202", "PTL401"}, note=note)
                if name == "Sequential" and len(call.args) >= 2 and not any(
                        isinstance(x, ast.Starred) for x in call.args):
                    first = call.args[0]
                    seg = ast.get_source_segment(src, first)
                    prefix = "nn." if "nn." in seg else ""
                    new_lines = replace_span(lines, first, f"{prefix}Identity(), {seg}")
                    add("sequential-shift", {rel: "".join(new_lines)}, {(rel, first.lineno)} | owner,
                        R_KEYS, note=f"Identity() before index 0 (line {first.lineno})")
        # Additions after the last top-level statement of __init__.
        if last_top is not None:
            indent = re.match(r"\s*", lines[last_top.lineno - 1]).group(0)
            at = last_top.end_lineno
            adds = [("add-submodule", "self.extra = nn.Linear(4, 4)", R_ADD),
                    ("add-attribute", "self.extra_flag = True", R_ADD)]
            if has_torch:
                adds += [("add-parameter", "self.extra_weight = nn.Parameter(torch.zeros(4))", R_ADD),
                         ("add-buffer", 'self.register_buffer("extra_buf", torch.zeros(4))', R_ADD),
                         ("add-buffer-nonpersistent",
                          'self.register_buffer("extra_tmp", torch.zeros(4), persistent=False)', R_ADD)]
            for kind, code, rules in adds:
                new_lines = lines[:at] + [indent + code + "\n"] + lines[at:]
                add(kind, {rel: "".join(new_lines)}, {(rel, at + 1)}, rules, note=f"{cls.name}: {code}")


def mutants_for(pkg, root, spec):
    out = []
    texts = {}
    for dp, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dp, f), root)
                with open(os.path.join(dp, f)) as fh:
                    texts[rel] = fh.read()
    counter = collections.Counter()

    def add(kind, files, targets, rules, **kw):
        counter[kind] += 1
        out.append(Mutant(pkg, f"{pkg}/{kind}#{counter[kind]}", kind, files, targets, rules, **kw))

    for rel in sorted(texts):
        if is_model_file(rel):
            class_mutants(rel, texts, add)
    # Rename / move the constructed class (the one the whole pickle's root references).
    top = spec["construct"].split("(")[0]
    for rel in sorted(texts):
        if not is_model_file(rel):
            continue
        tree = ast.parse(texts[rel])
        cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == top), None)
        if cls is None:
            continue
        whole_load = ("load_whole.py", 3)
        files = {r: re.sub(rf"\b{top}\b", top + "V2", t) for r, t in texts.items()}
        add("rename-class", files, {(rel, cls.lineno), whole_load}, R_CLASS, note=f"{top} -> {top}V2")
        src_lines = texts[rel].splitlines(keepends=True)
        imports = "".join(ln for ln in src_lines if re.match(r"(import|from) ", ln))
        cls_src = "".join(src_lines[cls.lineno - 1 - len(cls.decorator_list):cls.end_lineno])
        rest = src_lines[:cls.lineno - 1 - len(cls.decorator_list)] + src_lines[cls.end_lineno:]
        mod = rel[:-3].replace("/", ".")
        new_rel = rel[:-3] + "_core.py"
        new_mod = new_rel[:-3].replace("/", ".")
        moved_src = imports + "\n\n" + cls_src
        # Names of the old module the moved class uses come along by import.
        old_names = [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))
                     and n.name != top and re.search(rf"\b{n.name}\b", cls_src)]
        if old_names:
            moved_src = imports + f"from {mod} import {', '.join(old_names)}\n\n\n" + cls_src
        new_line = moved_src[:moved_src.index(cls_src)].count("\n") + 1 + len(cls.decorator_list)
        # With a re-export in the old module: the pickle's `mod.Top` still resolves.
        files = {rel: "".join(rest).rstrip() + f"\n\n\nfrom {new_mod} import {top}  # noqa: E402,F401\n",
                 new_rel: moved_src}
        add("move-class-reexported", files, {(new_rel, new_line), whole_load}, R_CLASS,
            note=f"{mod}.{top} -> {new_mod}.{top}, re-exported")
        files = {rel: "".join(rest), new_rel: moved_src}
        for r, t in texts.items():
            if r != rel:
                t2 = re.sub(rf"^from {re.escape(mod)} import {top}\b", f"from {new_mod} import {top}", t,
                            flags=re.M)
                if t2 != t:
                    files[r] = t2
        add("move-class", files, {(new_rel, new_line), whole_load}, R_CLASS,
            note=f"{mod}.{top} -> {new_mod}.{top}")
    # Loading-code edits.
    resume = texts["resume.py"]
    rl = resume.splitlines(keepends=True)
    for i, ln in enumerate(rl):
        if 'load_state_dict(ckpt["model"])' in ln:
            new = list(rl)
            new[i] = ln.replace('ckpt["model"]', "ckpt")
            add("load-whole-dict", {"resume.py": "".join(new)}, {("resume.py", i + 1)},
                {"PTL206", "PTL201", "PTL202"}, note="load_state_dict(ckpt)")
        m = re.search(r"torch\.optim\.(\w+)\(", ln)
        if m:
            for other in ("SGD", "RMSprop", "Adam"):
                if other == m.group(1):
                    continue
                new = list(rl)
                extra = ", momentum=0.9" if other == "SGD" else ""
                new[i] = ln.replace(f"torch.optim.{m.group(1)}(", f"torch.optim.{other}(").replace(
                    "lr=", f"{extra.lstrip(', ')}, lr=" if extra else "lr=", 1) if extra else \
                    ln.replace(f"torch.optim.{m.group(1)}(", f"torch.optim.{other}(")
                add("other-optimizer", {"resume.py": "".join(new)}, {("resume.py", i + 1)}, {"PTL402"},
                    note=f"{m.group(1)} -> {other}")
    load = texts["load.py"]
    ll = load.splitlines(keepends=True)
    for i, ln in enumerate(ll):
        if 'torch.load("ckpt/model.pt")' in ln:
            new = list(ll)
            new[i] = ln.replace("ckpt/model.pt", "ckpt_dp/model_dp.pt")
            add("prefixed-file", {"load.py": "".join(new)}, {("load.py", i + 1)}, {"PTL205", "PTL201", "PTL202"},
                extra={"ckpt_dp/model_dp.pt": "model_dp.pt"}, note="loads the module.-prefixed file")
            ind = re.match(r"\s*", ln).group(0)
            new = list(ll)
            new[i] = (f'{ind}sd = torch.load("ckpt_dp/model_dp.pt")\n'
                      f'{ind}sd = {{k[len("module."):]: v for k, v in sd.items()}}\n'
                      f"{ind}model.load_state_dict(sd)\n")
            add("prefixed-file-stripped", {"load.py": "".join(new)}, {("load.py", i + 1)}, {"PTL205"},
                extra={"ckpt_dp/model_dp.pt": "model_dp.pt"}, note="strips module. before loading")
    return out


SAVE_SCRIPT = """import collections
import os
import torch
{imports}

{prelude}
torch.manual_seed(0)
model = {construct}
optimizer = {optimizer}
params = [p for p in model.parameters() if p.requires_grad]
sum((p.float() ** 2).sum() for p in params).backward()
optimizer.step()
os.makedirs("ckpt", exist_ok=True)
torch.save(model.state_dict(), "ckpt/model.pt")
torch.save({{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}}, "ckpt/last.pt")
torch.save(model, "ckpt/whole.pt")
torch.save(collections.OrderedDict(("module." + k, v) for k, v in model.state_dict().items()),
           os.path.join({alt!r}, "model_dp.pt"))
"""


class Torch:
    def __init__(self, python):
        self.p = subprocess.Popen([python, WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, cwd, script):
        self.p.stdin.write(json.dumps({"cwd": cwd, "script": script}) + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def run_ptlint(ptlint, cwd):
    r = subprocess.run([ptlint, "check", "--output-format", "json", "--exit-zero", "."], cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"ptlint failed ({r.returncode}) in {cwd}: {r.stderr[:2000]}")
    return json.loads(r.stdout)


def norm(p):
    return os.path.normpath(p or "").lstrip("./") if p else ""


def findings_by_ckpt(report):
    out = collections.defaultdict(list)
    for d in report["diagnostics"]:
        if d["severity"] != "error" or not d["code"].startswith(DRIFT):
            continue
        # A finding grouped by cause (one rename or resize across checkpoints)
        # names one checkpoint and lists every one it covers in `instances`.
        covered = {norm(i.get("checkpoint")) for i in d.get("instances", [])} or {norm(d.get("checkpoint"))}
        for c in covered:
            out[c].append(d)
    return out


def bindings(report):
    return {norm(c["path"]): c["binding"] for c in report["checkpoints"]}


def prepare_package(pkg, args, torch_worker):
    src = os.path.join(MODELS, pkg)
    base = os.path.join(args.work, pkg)
    shutil.rmtree(base, ignore_errors=True)
    pristine = os.path.join(base, "pristine")
    shutil.copytree(src, pristine, ignore=shutil.ignore_patterns("__pycache__", "oracle.json"))
    with open(os.path.join(src, "oracle.json")) as f:
        spec = json.load(f)
    alt = os.path.join(base, "alt")
    os.makedirs(alt)
    save = os.path.join(base, "save_checkpoints.py")
    with open(save, "w") as f:
        f.write(SAVE_SCRIPT.format(imports=spec["imports"], prelude=spec.get("optimizer_prelude", ""),
                                   construct=spec["construct"],
                                   optimizer=spec.get("optimizer", "torch.optim.Adam(model.parameters(), lr=1e-3)"),
                                   alt=alt))
    r = torch_worker.run(pristine, save)
    if not r["ok"]:
        raise RuntimeError(f"{pkg}: saving the checkpoints failed: {r['error']}")
    shutil.rmtree(os.path.join(pristine, "__pycache__"), ignore_errors=True)
    for loader in LOADERS:
        r = torch_worker.run(pristine, loader)
        if not r["ok"]:
            raise RuntimeError(f"{pkg}: pristine {loader} does not load: {r['error']}")
    return base, pristine, alt, spec


def materialize(m, pristine, alt, dest):
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(pristine, dest, ignore=shutil.ignore_patterns("__pycache__"), copy_function=os.link)
    for rel, text in m.files.items():
        p = os.path.join(dest, rel)
        if os.path.exists(p):
            os.unlink(p)  # hard link: never write through to the pristine copy
        if text is not None:
            with open(p, "w") as f:
                f.write(text)
    for rel, name in m.extra.items():
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        os.link(os.path.join(alt, name), os.path.join(dest, rel))


def loader_ckpt(m, loader):
    if loader == "load.py" and m.extra:
        return next(iter(m.extra))
    return LOADERS[loader]


def score_mutant(m, verdicts, report, ckpt_of=None):
    """One row per loader: break, found, where, false findings, known construction.
    `ckpt_of(m, loader)` names the checkpoint a loader reads (default: this oracle's loaders)."""
    rows = []
    fb = findings_by_ckpt(report)
    bd = bindings(report)
    for loader, v in verdicts.items():
        ck = (ckpt_of or loader_ckpt)(m, loader)
        ds = fb.get(ck, [])
        right = [d for d in ds if d["code"] in m.rules and
                 (norm(d["location"]["path"]), d["location"]["line"]) in m.targets]
        b = bd.get(ck, {})
        rows.append({
            "pair": f"{m.id}/{loader}", "pkg": m.pkg, "kind": m.kind, "note": m.note,
            "break": not v["ok"], "torch_error": v["error"],
            "found": bool(right), "findings": [f"{d['code']} {norm(d['location']['path'])}:"
                                               f"{d['location']['line']} {d['message'][:140]}" for d in ds],
            "known": b.get("how") in KNOWN_HOW, "binding": f"{b.get('class')} ({b.get('how')})",
        })
    return rows


def pick_sample(mutants, seen):
    """Fixed CI sample: the first mutant of each kind in each package."""
    out = []
    for m in mutants:
        if m.kind not in seen:
            seen.add(m.kind)
            out.append(m)
    return out


def table(rows, label):
    br = [r for r in rows if r["break"]]
    found = sum(r["found"] for r in br)
    nb = [r for r in rows if not r["break"]]
    false = [r for r in nb if r["findings"]]
    elsewhere = sum(1 for r in br if not r["found"] and r["findings"])
    nfalse = sum(len(r["findings"]) for r in false)
    right_findings = found
    prec = right_findings / (right_findings + nfalse) if right_findings + nfalse else 1.0
    rec = found / len(br) if br else 1.0
    return (f"{label:<22} {len({r['pair'].rsplit('/', 1)[0] for r in rows}):>7} {len(rows):>6} {len(br):>6} "
            f"{found:>6} {len(br) - found:>6} {elsewhere:>9} {len(false):>6} {nfalse:>8} {rec:>7.1%} {prec:>9.2f}")


HEADER = (f"{'':<22} {'mutants':>7} {'pairs':>6} {'breaks':>6} {'found':>6} {'missed':>6} {'elsewhere':>9} "
          f"{'false':>6} {'findings':>8} {'recall':>7} {'precision':>9}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ptlint", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--python", default="/usr/bin/python3", help="the interpreter with torch")
    ap.add_argument("--sample", action="store_true")
    ap.add_argument("--packages", default="")
    ap.add_argument("--kinds", default="")
    ap.add_argument("--known")
    ap.add_argument("--json")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss and false finding")
    args = ap.parse_args()
    args.ptlint = os.path.abspath(args.ptlint)
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    t0 = time.time()
    pkgs = sorted(d for d in os.listdir(MODELS) if os.path.isfile(os.path.join(MODELS, d, "oracle.json")))
    if args.packages:
        pkgs = [p for p in pkgs if p in args.packages.split(",")]
    worker = Torch(args.python)
    rows, pristine_false = [], []
    try:
        for pkg in pkgs:
            base, pristine, alt, spec = prepare_package(pkg, args, worker)
            report = run_ptlint(args.ptlint, pristine)
            for ck, ds in findings_by_ckpt(report).items():
                pristine_false += [f"{pkg} pristine {ck}: {d['code']} {d['message'][:140]}" for d in ds]
            mutants = mutants_for(pkg, pristine, spec)
            if args.kinds:
                mutants = [m for m in mutants if m.kind in args.kinds.split(",")]
            if args.sample:
                mutants = pick_sample(mutants, set())
            for m in mutants:
                dest = os.path.join(base, "mutant")
                materialize(m, pristine, alt, dest)
                verdicts = {ld: worker.run(dest, ld) for ld in LOADERS}
                shutil.rmtree(os.path.join(dest, "__pycache__"), ignore_errors=True)
                report = run_ptlint(args.ptlint, dest)
                rows += score_mutant(m, verdicts, report)
    finally:
        worker.close()

    known, floor = {}, None
    if args.known:
        with open(args.known) as f:
            for line in f:
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                if s.startswith("floor-known-recall:"):
                    floor = float(s.split(":", 1)[1].split("#")[0])
                    continue
                known[s.split("  #", 1)[0].strip()] = s.split("  #", 1)[1].strip() if "  #" in s else ""
    print(HEADER)
    print(table(rows, "all"))
    krows = [r for r in rows if r["known"]]
    print(table(krows, "construction known"))
    for pkg in pkgs:
        print(table([r for r in rows if r["pkg"] == pkg], "  " + pkg))
    for kind in sorted({r["kind"] for r in rows}):
        print(table([r for r in rows if r["kind"] == kind], "  " + kind))
    false_pairs = [r for r in rows if not r["break"] and r["findings"]]
    missed = [r for r in rows if r["break"] and not r["found"]]
    unlisted_false = [r for r in false_pairs if r["pair"] not in known]
    used = {r["pair"] for r in rows if r["pair"] in known and (r in false_pairs or r in missed)}
    for r in (false_pairs if args.verbose else unlisted_false):
        print(f"  FALSE {r['pair']} [{r['note']}] bound {r['binding']}: " + " | ".join(r["findings"][:3]))
    for r in missed:
        if args.verbose or (r["known"] and r["pair"] not in known):
            print(f"  MISSED{' (known constr.)' if r['known'] else ''} {r['pair']} [{r['note']}] "
                  f"bound {r['binding']}: torch {r['torch_error'][:160]}; ptlint: "
                  + (" | ".join(r["findings"][:3]) or "silent"))
    for p in pristine_false:
        print(f"  PRISTINE FALSE {p}")
    failed = bool(unlisted_false) or bool(pristine_false)
    kb = [r for r in krows if r["break"]]
    krec = sum(r["found"] for r in kb) / len(kb) if kb else 1.0
    if floor is not None and krec + 1e-9 < floor:
        print(f"  known-construction recall {krec:.1%} is below the recorded floor {floor:.1%}")
        failed = True
    if args.sample:
        ran = {r["pair"] for r in rows}
        stale = [k for k in known if k in ran and k not in used]
        for k in stale:
            print(f"  known entry no longer happens (remove it from {args.known}): {k}")
        failed |= bool(stale)
    print(f"  {len(rows)} pairs in {time.time() - t0:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "pristine_false": pristine_false}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
