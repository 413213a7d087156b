#!/usr/bin/python3
"""Library-wide oracle: real torch against ptlint on model code nobody tuned for.

For each model builder of a library installed from Debian (torchvision 0.14's
`list_models()`, torchaudio.models' builders, torch.nn layers with catalogue
arguments), built by real torch with `weights=None` (nothing is downloaded):

  (a) prediction: `ptlint classes --class C --args` for torch.nn layers
      (keys, shapes, persistence against the real `state_dict()`);
  (b) pristine silence: the model saved as a state dict, as
      {model, optimizer, epoch}, as a whole pickle, with `module.` and with
      `_orig_mod.`; `ptlint <a copy of the library's source> <those files>`
      run unaided and with a generated loader script. Every drift finding
      (PTL1xx, PTL2xx, PTL4xx; PTL301/302; PTL205/206 where the file is not
      prefixed / not a wrapper dict) is a false error, and so is a wrong
      binding (class or builder). Unbound or ambiguous is allowed (it lowers
      binding coverage, never precision).

Prints one table row per library and exits 1 when any false error or wrong
binding is seen. `--sample` picks a fixed, small set (CI); `--all` runs every
builder (bench/library_oracle.sh).

Only files this script builds itself are ever loaded by torch.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time

import torch

# Fixed CI sample: small models covering the failure patterns of issue 11
# (squeezenet's `version`, resnet's `_resnet(BasicBlock, [2,2,2,2])`,
# MobileNetV3 vs VGG, builders with literal arguments).
TORCHVISION_SAMPLE = [
    "squeezenet1_0", "squeezenet1_1", "resnet18", "mobilenet_v3_small",
    "shufflenet_v2_x0_5", "mnasnet0_5", "alexnet", "regnet_y_400mf",
]
TORCHAUDIO_SAMPLE = ["conv_tasnet_base", "wav2vec2_base", "hubert_base"]

SKIP_NOTES = []


def copy_source(package, dest):
    """Copies the installed package's .py files (ptlint reads the copy)."""
    root = os.path.dirname(package.__file__)
    target = os.path.join(dest, os.path.basename(root))
    if os.path.isdir(target):
        return target
    for dirpath, _, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for f in files:
            if f.endswith(".py"):
                os.makedirs(os.path.join(target, rel), exist_ok=True)
                shutil.copyfile(os.path.join(dirpath, f), os.path.join(target, rel, f))
    return target


def torchvision_builders(names):
    import inspect
    import torchvision
    out = []
    for name in names:
        fn = torchvision.models.get_model_builder(name)
        kwargs = {"weights": None}
        # inspect.signature follows the __wrapped__ of torchvision's legacy
        # interface decorator; the wrapper's own co_varnames would hide
        # weights_backbone, and the builder would then download a backbone.
        if "weights_backbone" in inspect.signature(fn).parameters:
            kwargs["weights_backbone"] = None
        out.append((name, fn, kwargs))
    return out


def torchaudio_builders(names):
    import torchaudio.models as tm
    out = []
    for name in names:
        fn = getattr(tm, name, None)
        if fn is None or not callable(fn):
            continue
        out.append((name, fn, {}))
    return out


def all_torchaudio_names():
    import inspect
    import torchaudio.models as tm
    names = []
    for name in sorted(getattr(tm, "__all__", dir(tm))):
        obj = getattr(tm, name, None)
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            if all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                   for p in sig.parameters.values()):
                names.append(name)
    return names


LIGHT = False  # --all: tensors saved as stride-0 views (same shapes and dtypes, tiny files)


def save_variants(name, model, ckpt_dir):
    """Writes the five pristine forms; returns {file: expectation}."""
    sd = model.state_dict()
    big = sum(t.numel() for t in sd.values()) > 30_000_000
    if LIGHT:
        light = collections.OrderedDict(
            (k, v.new_zeros(()).expand(v.shape) if v.dim() else v) for k, v in sd.items())
        light._metadata = sd._metadata
        sd = light
    files = {}
    p = os.path.join(ckpt_dir, name + ".pt")
    torch.save(sd, p)
    files[p] = {"kind": "state_dict", "prefix": ""}
    params = [t for t in model.parameters() if t.requires_grad]
    if params:
        opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        p = os.path.join(ckpt_dir, name + "_ckpt.pt")
        torch.save({"model": sd, "optimizer": opt.state_dict(), "epoch": 3}, p)
        files[p] = {"kind": "dict", "prefix": ""}
    p = os.path.join(ckpt_dir, name + "_whole.pt")
    if LIGHT and big:
        SKIP_NOTES.append(f"{name}: whole pickle not saved (over 30M parameters)")
    else:
        try:
            torch.save(model, p)
            files[p] = {"kind": "whole", "prefix": ""}
        except Exception as e:  # lambdas, local classes: not picklable
            SKIP_NOTES.append(f"{name}: whole pickle not possible ({type(e).__name__})")
    for prefix, tag in (("module.", "dp"), ("_orig_mod.", "compiled")):
        p = os.path.join(ckpt_dir, f"{name}_{tag}.pt")
        torch.save(collections.OrderedDict((prefix + k, v) for k, v in sd.items()), p)
        files[p] = {"kind": "state_dict", "prefix": prefix}
    return files


def loader_script(module_expr, call, files, name):
    """A script that loads each form the way the code that saved it would."""
    lines = ["import torch", f"import {module_expr.split('.')[0]}", ""]
    for path, exp in files.items():
        rel = os.path.basename(path)
        var = rel.replace(".pt", "").replace("-", "_")
        if exp["kind"] == "whole":
            lines.append(f"m_{var} = torch.load('ckpt/{rel}', weights_only=False)")
            continue
        lines.append(f"m_{var} = {call}")
        if exp["kind"] == "dict":
            lines.append(f"c_{var} = torch.load('ckpt/{rel}')")
            lines.append(f"m_{var}.load_state_dict(c_{var}['model'])")
        elif exp["prefix"]:
            # Strip the wrapper prefix the way people do.
            lines.append(f"sd_{var} = torch.load('ckpt/{rel}')")
            lines.append(f"sd_{var} = {{k[len('{exp['prefix']}'):]: v for k, v in sd_{var}.items()}}")
            lines.append(f"m_{var}.load_state_dict(sd_{var})")
        else:
            lines.append(f"m_{var}.load_state_dict(torch.load('ckpt/{rel}'))")
    return "\n".join(lines) + "\n"


DRIFT_PREFIXES = ("PTL1", "PTL2", "PTL4")


def run_ptlint(ptlint, args, cwd):
    t = time.time()
    r = subprocess.run([ptlint, "check", "--output-format", "json", "--exit-zero"] + args, cwd=cwd,
                       capture_output=True, text=True, timeout=900)
    elapsed = time.time() - t
    if r.returncode not in (0, 1):
        raise RuntimeError(f"ptlint failed ({r.returncode}): {r.stderr[:2000]}")
    return json.loads(r.stdout), elapsed


def judge(report, expectations, real_class, real_builder, loaded):
    """False errors and binding verdicts of one run."""
    false_errors, bindings = [], collections.Counter()
    by_ckpt = {}
    for c in report["checkpoints"]:
        by_ckpt[os.path.basename(c["path"])] = c
    for d in report["diagnostics"]:
        code = d["code"]
        ck = os.path.basename(d.get("checkpoint") or "")
        exp = next((e for p, e in expectations.items() if os.path.basename(p) == ck), None)
        if d["severity"] == "note":
            continue
        allowed = False
        if code == "PTL205" and exp is not None and exp["prefix"] and not loaded:
            allowed = True  # unaided: the prefix is real and nothing strips it
        if code == "PTL303" and exp is not None and exp["kind"] == "whole":
            allowed = True  # torch >= 2.6 refuses a whole pickle: a true finding
        if code.startswith("PTL6") or code.startswith("PTL7") or code.startswith("PTL5"):
            allowed = True  # safety/saving findings are not drift
        if code == "PTL304":
            allowed = True
        if code.startswith(DRIFT_PREFIXES) or code in ("PTL301", "PTL302", "PTL206", "PTL303"):
            if not allowed:
                false_errors.append(f"{code} {ck}: {d['message'][:160]}")
    for path, exp in expectations.items():
        c = by_ckpt.get(os.path.basename(path))
        if c is None:
            bindings["missing"] += 1
            continue
        b = c["binding"]
        cls = b.get("class")
        if not cls:
            bindings["unbound" if b["how"] in ("none",) else "ambiguous"] += 1
            continue
        ok = cls == real_class[path] or cls.split(".")[-1] == real_class[path].split(".")[-1] and \
            cls.endswith(real_class[path].split(".", 1)[-1])
        fac = b.get("factory")
        if fac and real_builder.get(path) and fac.split(".")[-1] != real_builder[path]:
            ok = False
        if ok:
            bindings["right"] += 1
        else:
            bindings["wrong"] += 1
            false_errors.append(f"wrong binding {os.path.basename(path)}: {cls} ({b['how']}, factory {fac}) "
                                f"is not {real_class[path]} / {real_builder.get(path)}")
    return false_errors, bindings


def oracle_library(lib, builders, package, args):
    work = os.path.join(args.work, lib)
    src = os.path.join(work, "src")
    os.makedirs(src, exist_ok=True)
    copy_source(package, src)
    rows = {"models": 0, "files": 0, "false_errors": [], "bindings": collections.Counter(),
            "bindings_loaded": collections.Counter(), "seconds": 0.0}
    ckpt_dir = os.path.join(work, "ckpt")
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    os.makedirs(ckpt_dir)
    loaders = os.path.join(work, "loaders")
    shutil.rmtree(loaders, ignore_errors=True)
    os.makedirs(loaders)
    expectations, real_class, real_builder = {}, {}, {}
    for name, fn, kwargs in builders:
        try:
            torch.manual_seed(0)
            model = fn(**kwargs)
        except Exception as e:
            SKIP_NOTES.append(f"{lib}.{name}: not constructible with {kwargs} ({type(e).__name__}: {e})"[:200])
            continue
        rows["models"] += 1
        files = save_variants(name, model, ckpt_dir)
        qual = type(model).__module__ + "." + type(model).__qualname__
        for p in files:
            real_class[p] = qual
            if files[p]["kind"] != "whole":
                real_builder[p] = fn.__name__
        expectations.update(files)
        mod = fn.__module__
        call = f"{mod}.{fn.__name__}({', '.join(f'{k}=None' for k in kwargs)})"
        with open(os.path.join(loaders, f"load_{name}.py"), "w") as f:
            f.write(loader_script(mod, call, files, name))
    rows["files"] = len(expectations)
    pkg_src = os.path.join("src", os.path.basename(os.path.dirname(package.__file__)))
    # Unaided: the library's source and the files, nothing else.
    report, secs = run_ptlint(args.ptlint, [pkg_src, "ckpt"], work)
    rows["seconds"] += secs
    fe, bd = judge(report, expectations, real_class, real_builder, loaded=False)
    rows["false_errors"] += ["unaided: " + x for x in fe]
    rows["bindings"] = bd
    # With the loader scripts.
    report, secs = run_ptlint(args.ptlint, [pkg_src, "loaders", "ckpt"], work)
    rows["seconds"] += secs
    fe, bd = judge(report, expectations, real_class, real_builder, loaded=True)
    rows["false_errors"] += ["loader: " + x for x in fe]
    rows["bindings_loaded"] = bd
    return rows


def nn_layer_oracle(args):
    """(a) for torch.nn layers: `ptlint classes --class torch.nn.X --args`."""
    layers = [
        ("Linear", [8, 4], {}), ("Linear", [8, 4], {"bias": False}), ("Bilinear", [3, 4, 5], {}),
        ("Conv1d", [3, 6, 3], {}), ("Conv2d", [3, 6, 3], {"bias": False}), ("Conv3d", [2, 4, 3], {}),
        ("ConvTranspose2d", [3, 6, 3], {}), ("ConvTranspose2d", [4, 8, 3], {"groups": 2}),
        ("Conv2d", [4, 8, 3], {"groups": 4}),
        ("BatchNorm1d", [5], {}), ("BatchNorm2d", [5], {"affine": False}),
        ("BatchNorm2d", [5], {"track_running_stats": False}), ("InstanceNorm2d", [5], {"affine": True}),
        ("LayerNorm", [6], {}), ("LayerNorm", [[4, 6]], {"elementwise_affine": False}),
        ("GroupNorm", [2, 6], {}), ("Embedding", [10, 3], {}), ("EmbeddingBag", [10, 3], {}),
        ("LSTM", [4, 8], {}), ("LSTM", [4, 8], {"num_layers": 2, "bidirectional": True}),
        ("LSTM", [4, 8], {"proj_size": 3}), ("GRU", [4, 8], {"bias": False}), ("RNN", [4, 8], {"num_layers": 3}),
        ("LSTMCell", [4, 8], {}), ("GRUCell", [4, 8], {}), ("RNNCell", [4, 8], {}),
        ("MultiheadAttention", [8, 2], {}), ("MultiheadAttention", [8, 2], {"kdim": 4, "vdim": 6}),
        ("MultiheadAttention", [8, 2], {"bias": False, "add_bias_kv": True}),
        ("TransformerEncoderLayer", [8, 2], {"dim_feedforward": 16}),
        ("TransformerDecoderLayer", [8, 2], {"dim_feedforward": 16}),
        ("PReLU", [], {"num_parameters": 3}), ("PReLU", [], {}),
        ("Transformer", [], {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1,
                             "dim_feedforward": 16}),
        ("ReLU", [], {}), ("Dropout", [], {}), ("Identity", [], {}), ("Flatten", [], {}),
        ("SyncBatchNorm", [5], {}), ("LazyLinear", [4], {}),
    ]
    total = contradictions = covered = real_keys = 0
    problems = []
    # One project: class L<i> holds the layer as `self.m`, so `ptlint classes`
    # predicts it the way it predicts any user's model.
    proj = os.path.join(args.work, "nn_layers")
    os.makedirs(proj, exist_ok=True)
    lines = ["import torch", "from torch import nn", ""]
    for i, (cls, pos, kw) in enumerate(layers):
        call = ", ".join([repr(p) for p in pos] + [f"{k}={v!r}" for k, v in kw.items()])
        lines += [f"class L{i}(nn.Module):", "    def __init__(self):", "        super().__init__()",
                  f"        self.m = nn.{cls}({call})", ""]
    with open(os.path.join(proj, "layers.py"), "w") as f:
        f.write("\n".join(lines))
    r = subprocess.run([args.ptlint, "classes", proj, "--format", "json"], capture_output=True, text=True)
    doc = json.loads(r.stdout)
    predicted = {c["name"].split(".")[-1]: c for c in doc["classes"]}
    for i, (cls, pos, kw) in enumerate(layers):
        m = getattr(torch.nn, cls)(*pos, **kw)
        sd = {"m." + k: v for k, v in m.state_dict().items()}
        nonpersistent = ["m." + k for k, _ in m.named_buffers() if "m." + k not in sd]
        total += 1
        label = f"nn.{cls}({', '.join(map(str, pos))}{', ' if pos and kw else ''}" \
                f"{', '.join(f'{k}={v}' for k, v in kw.items())})"
        pred = predicted.get(f"L{i}", {}).get("state_dict")
        if not pred:
            problems.append(f"{label}: no prediction")
            real_keys += len(sd)
            continue
        pk = {k["key"]: k for k in pred["keys"] if not k["pattern"]}
        open_ = [o["prefix"] for o in pred.get("open", [])]
        for k, t in sd.items():
            real_keys += 1
            p = pk.get(k)
            if p is None:
                if any(k.startswith(o) for o in open_):
                    continue
                contradictions += 1
                problems.append(f"{label}: real key {k} not predicted")
                continue
            if not p["persistent"]:
                contradictions += 1
                problems.append(f"{label}: {k} predicted non-persistent")
                continue
            shape = p.get("shape")
            if shape is None or any(d.get("value") is None for d in shape):
                continue  # not covered, not contradicted
            if isinstance(t, (torch.nn.parameter.UninitializedParameter, torch.nn.parameter.UninitializedBuffer)):
                continue
            if [d["value"] for d in shape] != list(t.shape):
                contradictions += 1
                problems.append(f"{label}: {k} predicted {[d['value'] for d in shape]}, real {list(t.shape)}")
                continue
            covered += 1
        for k, p in pk.items():
            if p["persistent"] and not p["optional"] and k not in sd:
                contradictions += 1
                problems.append(f"{label}: predicted key {k} not in the real state_dict")
            if not p["persistent"] and k not in nonpersistent:
                contradictions += 1
                problems.append(f"{label}: predicted non-persistent buffer {k} does not exist")
    return {"layers": total, "real_keys": real_keys, "covered": covered, "contradictions": contradictions,
            "problems": problems}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ptlint", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--libraries", default="torchvision,torchaudio,nn")
    ap.add_argument("--all", action="store_true", help="every builder, not the CI sample")
    ap.add_argument("--json", help="write the full results here")
    ap.add_argument("--known", help="known false errors, one `substring  # owner and cause` a line: "
                    "counted and printed, not failed on; a known line that no longer matches fails "
                    "(remove it)")
    args = ap.parse_args()
    args.ptlint = os.path.abspath(args.ptlint)
    args.work = os.path.abspath(args.work)
    global LIGHT
    LIGHT = args.all
    os.makedirs(args.work, exist_ok=True)
    results = {}
    libs = args.libraries.split(",")
    if "torchvision" in libs:
        try:
            import torchvision
            names = torchvision.models.list_models() if args.all else TORCHVISION_SAMPLE
            results["torchvision"] = oracle_library("torchvision", torchvision_builders(names), torchvision, args)
        except ImportError:
            SKIP_NOTES.append("torchvision: python3-torchvision is not installed")
    if "torchaudio" in libs:
        try:
            import torchaudio
            names = all_torchaudio_names() if args.all else TORCHAUDIO_SAMPLE
            results["torchaudio"] = oracle_library("torchaudio", torchaudio_builders(names), torchaudio, args)
        except ImportError:
            SKIP_NOTES.append("torchaudio: python3-torchaudio is not installed")
    if "torchtext" in libs:
        try:
            import torchtext  # noqa: F401
            SKIP_NOTES.append("torchtext: importable, but its models need downloaded vocabularies; not run")
        except Exception as e:
            SKIP_NOTES.append(f"torchtext: Debian 12's python3-torchtext 0.14.1 does not import "
                              f"({type(e).__name__}: {str(e)[:80]}); skipped")
    nn_rows = nn_layer_oracle(args) if "nn" in libs else None

    print(f"{'library':<12} {'models':>6} {'files':>5} {'false errors':>12} {'known':>5} {'bound right':>11} "
          f"{'unbound/ambig.':>14} {'wrong':>5} {'bound right (loader)':>20} {'seconds':>7}")
    known = []
    if args.known:
        with open(args.known) as f:
            for line in f:
                entry = line.split("  #", 1)[0].strip()
                if entry and not line.lstrip().startswith("#"):
                    known.append(entry)
    used = set()
    for r in results.values():
        r["known_errors"] = []
        fresh = []
        for e in r["false_errors"]:
            hit = next((k for k in known if k in e), None)
            if hit is None:
                fresh.append(e)
            else:
                used.add(hit)
                r["known_errors"].append(e)
        r["false_errors"] = fresh
    failed = False
    for lib, r in results.items():
        b, bl = r["bindings"], r["bindings_loaded"]
        print(f"{lib:<12} {r['models']:>6} {r['files']:>5} {len(r['false_errors']):>12} {len(r['known_errors']):>5} "
              f"{b['right']:>11} {b['unbound'] + b['ambiguous']:>14} {b['wrong'] + bl['wrong']:>5} "
              f"{bl['right']:>20} {r['seconds']:>7.2f}")
        failed |= bool(r["false_errors"])
    if nn_rows:
        cov = nn_rows["covered"] / max(1, nn_rows["real_keys"])
        print(f"torch.nn     {nn_rows['layers']:>6} layers: {nn_rows['real_keys']} real keys, "
              f"coverage {cov:.0%}, contradictions {nn_rows['contradictions']}")
        failed |= nn_rows["contradictions"] > 0
    for lib, r in results.items():
        for e in r["false_errors"][:60]:
            print(f"  {lib}: {e}")
    if nn_rows:
        for p in nn_rows["problems"]:
            print(f"  torch.nn: {p}")
    for lib, r in results.items():
        for e in r["known_errors"][:20]:
            print(f"  {lib} (known): {e}")
    for n in SKIP_NOTES:
        print(f"  note: {n}")
    stale = [k for k in known if k not in used]
    for k in stale:
        print(f"  known false error no longer seen (remove it from {args.known}): {k}")
    failed |= bool(stale) and not args.all
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"libraries": {k: {**v, "bindings": dict(v["bindings"]),
                                         "bindings_loaded": dict(v["bindings_loaded"])}
                                     for k, v in results.items()},
                       "nn": nn_rows, "notes": SKIP_NOTES}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
