"""Instantiates modules with real torch and dumps their state dicts.

Used by layer_catalog_test.cc and source_model_realcode_test.cc: ptlint's
predictions are compared with what torch 1.13 actually produces.

    /usr/bin/python3 dump_state_dicts.py SPEC.json OUT.json

SPEC.json is a list of cases:
    {"name": "...", "target": "torch.nn.Linear" | "torchaudio.models.wav2vec2_base",
     "args": [positional...], "kwargs": {...}}
Only installed, trusted packages are imported (torch, torchaudio); no
checkpoint is loaded. OUT.json maps each case name to
    {"keys": [[key, [shape...], "parameter"|"buffer"], ...],
     "metadata": {module_path: version}, "error": null | "message"}
"""
import importlib
import json
import sys

import torch


def resolve(target):
    module_name, _, attr = target.rpartition(".")
    # Walk down until the longest importable module prefix.
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(target)


def dump(module):
    sd = module.state_dict()
    keys = []
    for key, value in sd.items():
        path, _, leaf = key.rpartition(".")
        try:
            owner = module.get_submodule(path) if path else module
            kind = "parameter" if leaf in owner._parameters else "buffer"
        except AttributeError:
            kind = "buffer"
        shape = list(value.shape) if hasattr(value, "shape") else None
        keys.append([key, shape, kind])
    metadata = {k: (v.get("version") if isinstance(v, dict) else None)
                for k, v in getattr(sd, "_metadata", {}).items()}
    return {"keys": keys, "metadata": metadata, "error": None}


def main():
    spec = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    out = {}
    for case in spec:
        try:
            factory = resolve(case["target"])
            module = factory(*case.get("args", []), **case.get("kwargs", {}))
            out[case["name"]] = dump(module)
        except Exception as e:  # reported per case; the C++ side fails the test
            out[case["name"]] = {"keys": [], "metadata": {}, "error": f"{type(e).__name__}: {e}"}
    json.dump(out, open(sys.argv[2], "w"), indent=1)


if __name__ == "__main__":
    main()
