#!/usr/bin/python3
"""Writes ptlint's checkpoint fixtures and their ground truth.

Usage: /usr/bin/python3 tests/make_fixtures.py OUT_DIR

Run with Debian's Python (python3-torch, torch 1.13). Every fixture is made by
torch itself (torch.save, torch.jit.save) or, for formats torch 1.13 cannot
write (cuda/mps location tags, the pre-0.4 tar, safetensors, a distributed
checkpoint folder, corrupt files), built byte by byte from a torch-made file.

OUT_DIR/manifest.json lists every fixture with the truth torch computed while
saving:

  {"generator": "tests/make_fixtures.py", "torch_version": "1.13.0a0",
   "fixtures": [{
     "path": "sd/model_with_custom.pt",       # relative to OUT_DIR
     "format": "torch-zip",                   # ContainerFormatName vocabulary
     "layout": "state-dict",                  # LayoutName vocabulary
     "description": "...",
     "archive_name": "model_with_custom",     # zip folder, "" if not a zip
     "records": ["data.pkl", "data/0", ...],  # zip records without the folder
                                              # (getAllRecords() naming), or tar members
     "version": 3,                            # zip `version` record, or null
     "state_dict_path": "['model_state_dict']",  # where the state dict sits;
                                              # "" at the root, null if none
     "tensors": [{
        "name": "fc.weight",                  # key relative to the state dict, or a
                                              # subscript chain from the root:
                                              # "['optimizer_state_dict']['state'][0]['exp_avg']";
                                              # pickled modules: the state-dict key
        "object_path": "...",                 # pickled modules only: attribute chain
                                              # "._modules['fc']._parameters['weight']"
        "dtype": "float32", "shape": [5, 10], "device": "cpu",
        "requires_grad": false, "is_parameter": false,
        "kind": "dense"                       # dense, quantized, sparse_coo, sparse_csr
     }],
     "error": null,                           # expected error family for corrupt files:
                                              # lfs-pointer, html, empty, truncated-zip, ...
     "torch_loadable": true,                  # plain torch.load(path) succeeded here
     "torch_error": null                      # else type(e).__name__ + ": " + str(e)
   }]}

The script is deterministic (fixed seeds, fixed zip/tar timestamps) and
idempotent (it overwrites what it wrote before). It never loads anything it
did not write itself.
"""

import argparse
import collections
import dataclasses
import enum
import io
import json
import os
import pickle
import random
import shutil
import struct
import sys
import tarfile
import types
import warnings
import zipfile

import torch
import torch.nn as nn

warnings.filterwarnings("ignore")

OUT = None
FIXTURES = []


# ----------------------------------------------------------------------------
# Ground truth


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def tensor_kind(t):
    if t.is_quantized:
        return "quantized"
    if t.layout == torch.sparse_coo:
        return "sparse_coo"
    if t.layout == torch.sparse_csr:
        return "sparse_csr"
    if t.is_meta:
        return "meta"
    return "dense"


def tensor_entry(name, t, device=None):
    return {
        "name": name,
        "dtype": dtype_name(t.dtype),
        "shape": list(t.shape),
        "device": device or str(t.device),
        "requires_grad": bool(t.requires_grad),
        "is_parameter": isinstance(t, nn.Parameter),
        "kind": tensor_kind(t),
    }


def subscript(key):
    return "[" + repr(key) + "]"


def walk(obj, path, sd_path, out, device=None):
    """Every tensor reachable from obj, named as the manifest documents."""
    if isinstance(obj, torch.Tensor):
        out.append(tensor_entry(path, obj, device))
        return
    if isinstance(obj, nn.Module):
        for name, t in list(obj.named_parameters()) + list(obj.named_buffers()):
            e = tensor_entry(name, t, device)
            mod_path, _, leaf = name.rpartition(".")
            chain = "".join("._modules[%r]" % p for p in mod_path.split(".")) if mod_path else ""
            kind = "_parameters" if isinstance(t, nn.Parameter) else "_buffers"
            e["object_path"] = path + chain + ".%s[%r]" % (kind, leaf)
            out.append(e)
        return
    if isinstance(obj, dict):
        is_sd = sd_path is not None and path == sd_path
        for k, v in obj.items():
            if is_sd and isinstance(v, torch.Tensor):
                out.append(tensor_entry(k, v, device))
            else:
                walk(v, path + subscript(k), sd_path, out, device)
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            walk(v, path + subscript(i), sd_path, out, device)
        return
    if isinstance(obj, argparse.Namespace):
        walk(vars(obj), path, sd_path, out, device)


def zip_info(path):
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            archive = names[0].split("/", 1)[0] if names else ""
            records = [n.split("/", 1)[1] if "/" in n else n for n in names]
            version = None
            vname = archive + "/version"
            if vname in names:
                version = int(z.read(vname).decode().strip())
            return archive, records, version
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "", [], None


def try_torch_load(path):
    try:
        torch.load(path)
        return True, None
    except Exception as e:  # we want exactly what the user would see
        return False, type(e).__name__ + ": " + str(e)


def add(rel, fmt, layout, description, obj=None, sd_path=None, tensors=None,
        error=None, device=None, load_check=True, extra=None):
    path = os.path.join(OUT, rel)
    entry = {"path": rel, "format": fmt, "layout": layout, "description": description}
    if fmt in ("torch-zip", "torchscript") or error in ("truncated-zip", "missing-record",
                                                      "missing-version", "storage-size-mismatch"):
        archive, records, version = zip_info(path)
    else:
        archive, records, version = "", [], None
    if fmt == "legacy-tar":
        with tarfile.open(path) as t:
            records = t.getnames()
    entry["archive_name"] = archive
    entry["records"] = records
    entry["version"] = version
    entry["state_dict_path"] = sd_path
    if tensors is None:
        tensors = []
        if obj is not None:
            walk(obj, "", sd_path, tensors, device)
    entry["tensors"] = tensors
    entry["error"] = error
    if load_check and os.path.isfile(path):
        entry["torch_loadable"], entry["torch_error"] = try_torch_load(path)
    else:
        entry["torch_loadable"], entry["torch_error"] = False, None
    if extra:
        entry.update(extra)
    FIXTURES.append(entry)
    return entry


def out_path(rel):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save(obj, rel, **kw):
    torch.save(obj, out_path(rel), **kw)
    return rel


# ----------------------------------------------------------------------------
# Model classes: a real module `models.simple` (so globals reference it) and
# one class in __main__.

MODELS_SOURCE = '''
import torch
import torch.nn as nn


class MyCustomLayer(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(MyCustomLayer, self).__init__()
        self.linear = nn.Linear(input_size, hidden_size)

    def forward(self, x):
        return self.linear(x)


class ModelWithCustomLayer(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(ModelWithCustomLayer, self).__init__()
        self.custom_layer = MyCustomLayer(input_size, hidden_size)
        self.output_layer = nn.Linear(hidden_size, 1)

    def forward(self, x):
        x = self.custom_layer(x)
        return self.output_layer(x)


class SimpleModel(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(SimpleModel, self).__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.linear2 = nn.Linear(hidden_size, 1)

    def forward(self, x):
        x = self.relu(self.linear1(x))
        return self.linear2(x)


class SimpleModelNoRelu(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(SimpleModelNoRelu, self).__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.linear2 = nn.Linear(hidden_size, 1)

    def forward(self, x):
        x = self.linear1(x)
        return self.linear2(x)


class ConvBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).mean((2, 3)))


class WithNonPersistent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("running", torch.zeros(2))
        self.register_buffer("mask", torch.ones(2), persistent=False)

    def forward(self, x):
        return self.fc(x) * self.mask + self.running


class Composite(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
        self.heads = nn.ModuleList([nn.Linear(3, 2), nn.Linear(3, 1)])
        self.inner = MyCustomLayer(3, 3)
        self.temperature = 0.5
        self.labels = ["cat", "dog"]

    def forward(self, x):
        h = self.inner(self.blocks(x))
        return [head(h) for head in self.heads]


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(6, 4)
        self.head = nn.Linear(4, 6, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, x):
        return self.head(self.embed(x))


class LitWrapper(nn.Module):
    """What a LightningModule with `self.model = SimpleModel(...)` stores."""
    def __init__(self, model):
        super().__init__()
        self.model = model
'''


class MainNet(nn.Module):
    """Defined in __main__: a whole-module pickle references `__main__ MainNet`."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)


def install_models_package(tmp):
    pkg = os.path.join(tmp, "models")
    os.makedirs(pkg, exist_ok=True)
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(pkg, "simple.py"), "w") as f:
        f.write(MODELS_SOURCE)
    sys.path.insert(0, tmp)
    import models.simple  # noqa: E402  (our own module, written just above)
    return models.simple


# ----------------------------------------------------------------------------
# Byte-level rewriting helpers


def read_zip_records(path):
    with zipfile.ZipFile(path) as z:
        return [(n, z.read(n)) for n in z.namelist()]


def write_zip(path, records):
    """STORED entries, fixed timestamps, in the given order."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in records:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, data)


def rewrite_location(pkl, old, new):
    """Replace every protocol-2 BINUNICODE `old` by `new`, fixing the length."""
    enc_old = old.encode()
    enc_new = new.encode()
    needle = b"X" + struct.pack("<I", len(enc_old)) + enc_old
    if needle not in pkl:
        raise RuntimeError("location string %r not found in data.pkl" % old)
    return pkl.replace(needle, b"X" + struct.pack("<I", len(enc_new)) + enc_new)


def retag_zip(src, dst, location):
    """Rewrite the storage locations in data.pkl; re-zip with torch's writer
    (same folder name derived from dst, 64-byte aligned STORED records)."""
    records = read_zip_records(src)
    base = os.path.splitext(os.path.basename(dst))[0]
    writer = torch._C.PyTorchFileWriter(dst)
    for name, data in records:
        rel = name.split("/", 1)[1]
        if rel == "version":
            continue  # the writer adds it at the end
        if rel == "data.pkl":
            data = rewrite_location(data, "cpu", location)
        writer.write_record(rel, data, len(data))
    writer.write_end_of_file()
    del writer
    assert zip_info(dst)[0] == base


# ----------------------------------------------------------------------------
# Fixture groups


def seed_examples(M):
    torch.manual_seed(0)
    m = M.ModelWithCustomLayer(10, 5)
    sd = m.state_dict()
    add(save(sd, "seed/model_with_custom.pt"), "torch-zip", "state-dict",
        "seed example 1: ModelWithCustomLayer state dict", sd, "")

    torch.manual_seed(1)
    model = M.SimpleModel(10, 5)
    opt = torch.optim.Adam(model.parameters())
    ck = {"model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict()}
    add(save(ck, "seed/model_and_optim.pt"), "torch-zip", "wrapper-dict",
        "seed example 2: SimpleModel + Adam (never stepped: empty optimizer state)",
        ck, "['model_state_dict']")

    model(torch.randn(3, 10)).sum().backward()
    opt.step()
    ck = {"epoch": 3, "model_state_dict": model.state_dict(),
          "optimizer_state_dict": opt.state_dict(), "loss": 0.25}
    add(save(ck, "seed/model_and_optim_stepped.pt"), "torch-zip", "wrapper-dict",
        "SimpleModel + Adam after one step (exp_avg, exp_avg_sq, step tensors)",
        ck, "['model_state_dict']")

    torch.manual_seed(2)
    full = M.SimpleModelNoRelu(10, 5)
    add(save(full, "seed/full_model.pt"), "torch-zip", "pickled-module",
        "seed example 3: torch.save(model) of models.simple.SimpleModelNoRelu", full, None)

    main = MainNet()
    add(save(main, "modules/full_main.pt"), "torch-zip", "pickled-module",
        "whole-module pickle of a class defined in __main__", main, None)


def dtype_fixtures():
    torch.manual_seed(3)
    base = torch.randn(2, 3)
    plain = {}  # a plain dict: tensor-dict layout (and LibTorch's pickle_load can read it)
    for dt in [torch.float64, torch.float32, torch.float16, torch.bfloat16]:
        plain[dtype_name(dt)] = base.to(dt)
    for dt in [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]:
        plain[dtype_name(dt)] = torch.arange(6, dtype=dt).reshape(2, 3)
    plain["bool"] = torch.tensor([True, False, True])
    add(save(plain, "dtypes/real.pt"), "torch-zip", "tensor-dict",
        "one tensor per real dtype torch 1.13 saves", plain, "")

    cplx = {"complex64": torch.randn(2, 2, dtype=torch.complex64),
            "complex128": torch.randn(3, dtype=torch.complex128)}
    add(save(cplx, "dtypes/complex.pt"), "torch-zip", "tensor-dict", "complex dtypes", cplx, "")

    x = torch.randn(4, 3)
    qt = {"qint8": torch.quantize_per_tensor(x, 0.05, 0, torch.qint8),
          "quint8": torch.quantize_per_tensor(x, 0.05, 128, torch.quint8),
          "qint32": torch.quantize_per_tensor(x, 0.01, 0, torch.qint32)}
    add(save(qt, "dtypes/quantized_per_tensor.pt"), "torch-zip", "tensor-dict",
        "per-tensor affine quantized tensors", qt, "")

    qc = {"qint8_per_channel": torch.quantize_per_channel(
        x, torch.tensor([0.1, 0.05, 0.2, 0.02]), torch.tensor([0, 1, -1, 0]), 0, torch.qint8)}
    add(save(qc, "dtypes/quantized_per_channel.pt"), "torch-zip", "tensor-dict",
        "per-channel affine quantized tensor (axis 0)", qc, "")

    try:
        q4 = {"quint4x2": torch.quantize_per_tensor(torch.rand(4, 4), 0.1, 0, torch.quint4x2)}
        add(save(q4, "dtypes/quint4x2.pt"), "torch-zip", "tensor-dict",
            "quint4x2 (two 4-bit values per byte)", q4, "")
    except Exception as e:  # noqa: BLE001  recorded, not fatal
        FIXTURES.append({"path": None, "skipped": "quint4x2: " + str(e)})

    i = torch.tensor([[0, 1, 2], [2, 0, 1]])
    coo = {"coo": torch.sparse_coo_tensor(i, torch.tensor([1.0, 2.0, 3.0]), (3, 3))}
    add(save(coo, "dtypes/sparse_coo.pt"), "torch-zip", "tensor-dict",
        "sparse COO tensor (_rebuild_sparse_tensor)", coo, "")
    try:
        csr = {"csr": torch.eye(3).to_sparse_csr()}
        add(save(csr, "dtypes/sparse_csr.pt"), "torch-zip", "tensor-dict",
            "sparse CSR tensor", csr, "")
    except Exception as e:  # noqa: BLE001
        FIXTURES.append({"path": None, "skipped": "sparse_csr: " + str(e)})

    big = torch.arange(40, dtype=torch.float32)
    shapes = {}
    shapes["scalar"] = torch.tensor(3.5)
    shapes["empty"] = torch.zeros(0, 3)
    shapes["transposed"] = torch.arange(12.0).reshape(3, 4).t()
    shapes["offset_slice"] = big[10:20]
    shapes["base"] = big
    add(save(shapes, "dtypes/shapes_views.pt"), "torch-zip", "tensor-dict",
        "0-dim, empty, non-contiguous view, slice with storage_offset sharing a storage",
        shapes, "", extra={"tied_groups": [["offset_slice", "base"]]})


def model_fixtures(M):
    torch.manual_seed(4)
    tied = M.TiedLM()
    sd = tied.state_dict()
    add(save(sd, "sd/tied.pt"), "torch-zip", "state-dict",
        "tied weights: embed.weight and head.weight share one storage", sd, "",
        extra={"tied_groups": [["embed.weight", "head.weight"]]})

    torch.manual_seed(5)
    m = M.SimpleModel(4, 3)
    sdv = m.state_dict(keep_vars=True)
    add(save(sdv, "sd/keep_vars.pt"), "torch-zip", "state-dict",
        "state_dict(keep_vars=True): Parameters with requires_grad", sdv, "")

    bn = M.ConvBN()
    bn.train()
    bn(torch.randn(2, 3, 6, 6))
    sd = bn.state_dict()
    add(save(sd, "sd/batchnorm.pt"), "torch-zip", "state-dict",
        "Conv+BatchNorm: num_batches_tracked, _metadata bn version 2", sd, "",
        extra={"metadata_versions": {k: v["version"] for k, v in sd._metadata.items()}})
    plain = dict(sd)
    add(save(plain, "sd/metadata_dropped.pt"), "torch-zip", "tensor-dict",
        "the BatchNorm state dict passed through dict(): _metadata dropped", plain, "")

    npb = M.WithNonPersistent()
    sd = npb.state_dict()
    add(save(sd, "sd/non_persistent_buffer.pt"), "torch-zip", "state-dict",
        "model with a non-persistent buffer `mask` (absent from the state dict)", sd, "")

    torch.manual_seed(6)
    dp = nn.DataParallel(M.SimpleModel(4, 3))
    sd = dp.state_dict()
    add(save(sd, "sd/dataparallel_prefix.pt"), "torch-zip", "state-dict",
        "nn.DataParallel state dict: keys prefixed `module.`", sd, "")

    inner = M.SimpleModel(4, 3).state_dict()
    orig = collections.OrderedDict(("_orig_mod." + k, v) for k, v in inner.items())
    orig._metadata = collections.OrderedDict(
        [("", {"version": 1})] + [("_orig_mod" + ("." + k if k else ""), v)
                                  for k, v in inner._metadata.items()])
    add(save(orig, "sd/orig_mod_prefix.pt"), "torch-zip", "state-dict",
        "torch.compile-style `_orig_mod.` prefix (keys renamed; 1.13 has no torch.compile)",
        orig, "")

    torch.manual_seed(18)
    wrapper = {"epoch": 2,
               "model": dict(M.SimpleModel(4, 3).state_dict()),
               "ema": [torch.randn(3, 4), torch.randn(3)],
               "meta": {"note": "plain containers only", "scale": torch.tensor([0.5, 2.0])}}
    add(save(wrapper, "sd/wrapper_plain.pt"), "torch-zip", "wrapper-dict",
        "wrapper of plain dicts and lists (readable by LibTorch's pickle_load)",
        wrapper, "['model']")

    comp = M.Composite()
    add(save(comp, "modules/composite.pt"), "torch-zip", "pickled-module",
        "whole models.simple.Composite: Sequential, ModuleList, custom child, extra attributes",
        comp, None)

    torch.manual_seed(7)
    big = {"layer%d.weight" % i: torch.randn(4) for i in range(1000)}
    add(save(big, "sd/big_state_dict.pt"), "torch-zip", "tensor-dict",
        "1000 tensors, for scale", big, "")


def optimizer_fixtures(M):
    for name, make in [
        ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        ("adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
        ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=1e-2)),
        ("adagrad", lambda p: torch.optim.Adagrad(p, lr=1e-2)),
    ]:
        torch.manual_seed(8)
        m = M.SimpleModel(4, 3)
        opt = make(m.parameters())
        m(torch.randn(2, 4)).sum().backward()
        opt.step()
        osd = opt.state_dict()
        add(save(osd, "optim/%s.pt" % name), "torch-zip", "optimizer-state",
            "%s optimizer.state_dict() alone, after one step" % name, osd, None)


def protocol_and_legacy_fixtures(M):
    torch.manual_seed(9)
    m = M.SimpleModel(4, 3)
    sd = m.state_dict()
    for proto in (2, 4, 5):
        add(save(sd, "proto/sd_protocol%d.pt" % proto, pickle_protocol=proto), "torch-zip",
            "state-dict", "state dict saved with pickle_protocol=%d" % proto, sd, "")

    add(save(sd, "legacy/sd_legacy.pt", _use_new_zipfile_serialization=False), "legacy",
        "state-dict", "_use_new_zipfile_serialization=False state dict", sd, "")
    add(save(m, "legacy/full_legacy.pt", _use_new_zipfile_serialization=False), "legacy",
        "pickled-module", "_use_new_zipfile_serialization=False whole module (embeds source)",
        m, None)
    add(save(sd, "legacy/sd_legacy_protocol4.pt", _use_new_zipfile_serialization=False,
             pickle_protocol=4), "legacy", "state-dict",
        "legacy format with pickle protocol 4", sd, "")


def legacy_tar_fixture():
    """The pre-0.4 tar layout, as torch 1.13's legacy_load reads it."""
    torch.manual_seed(10)
    weight = torch.randn(3, 4)
    bias = torch.randn(3)
    steps = torch.arange(5, dtype=torch.int64)
    # storage key -> (storage tensor, storage class)
    storages = [(0, weight, torch.FloatStorage), (1, bias, torch.FloatStorage),
                (2, steps, torch.LongStorage)]
    # tensor key -> (storage key, tensor type, size, stride, offset)
    tensors = [(10, 0, torch.FloatTensor, [3, 4], [4, 1], 0),
               (11, 1, torch.FloatTensor, [3], [1], 0),
               (12, 2, torch.LongTensor, [5], [1], 0),
               (13, 0, torch.FloatTensor, [4], [1], 4)]  # row 1 of weight: a view
    obj = collections.OrderedDict([("fc.weight", 10), ("fc.bias", 11), ("steps", 12),
                                   ("fc.weight_row1", 13)])

    def member(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        return info, io.BytesIO(data)

    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                             "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    s = io.BytesIO()
    s.write(pickle.dumps(len(storages), protocol=2))
    for key, t, cls in storages:
        s.write(pickle.dumps((key, "cpu", cls), protocol=2))
        raw = t.contiguous().numpy().tobytes()
        s.write(struct.pack("<q", t.numel()))
        s.write(raw)
    s.write(pickle.dumps([], protocol=2))  # no storage views
    tz = io.BytesIO()
    tz.write(pickle.dumps(len(tensors), protocol=2))
    for key, skey, ttype, size, stride, offset in tensors:
        tz.write(pickle.dumps((key, skey, ttype), protocol=2))
        tz.write(struct.pack("<i", len(size)) + b"\0\0\0\0")
        tz.write(struct.pack("<%dq" % len(size), *size))
        tz.write(struct.pack("<%dq" % len(stride), *stride))
        tz.write(struct.pack("<q", offset))

    class TensorRefPickler(pickle.Pickler):
        def persistent_id(self, o):
            return str(o) if isinstance(o, int) and o >= 10 else None

    p = io.BytesIO()
    TensorRefPickler(p, protocol=2).dump(obj)

    rel = "legacy/legacy_tar.pt"
    with tarfile.open(out_path(rel), "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("sys_info", sys_info), ("pickle", p.getvalue()),
                           ("tensors", tz.getvalue()), ("storages", s.getvalue())]:
            tar.addfile(*member(name, data))

    loaded = torch.load(out_path(rel))
    assert list(loaded.keys()) == list(obj.keys()), loaded.keys()
    assert torch.equal(loaded["fc.weight"], weight) and torch.equal(loaded["fc.bias"], bias)
    assert torch.equal(loaded["steps"], steps)
    assert torch.equal(loaded["fc.weight_row1"], weight[1])
    add(rel, "legacy-tar", "state-dict",
        "pre-0.4 tar (sys_info, pickle, tensors, storages); fc.weight_row1 views fc.weight",
        loaded, "", extra={"tied_groups": [["fc.weight", "fc.weight_row1"]]})


def location_fixtures():
    torch.manual_seed(11)
    sd = collections.OrderedDict([("fc.weight", torch.randn(2, 3)), ("fc.bias", torch.randn(2))])
    tmp = out_path("devices/_cpu_source.pt")
    torch.save(sd, tmp)
    for tag, fname in [("cuda:0", "cuda0"), ("cuda:1", "cuda1"), ("mps", "mps")]:
        rel = "devices/%s.pt" % fname
        retag_zip(tmp, out_path(rel), tag)
        back = torch.load(out_path(rel), map_location="cpu")
        assert all(torch.equal(back[k], sd[k]) for k in sd)
        add(rel, "torch-zip", "state-dict",
            "storages tagged %r by rewriting data.pkl (no such device here)" % tag,
            sd, "", device=tag)
    os.remove(tmp)


def torchscript_fixture(M):
    torch.manual_seed(12)
    m = torch.jit.script(M.ConvBN().eval())
    rel = "torchscript/scripted.pt"
    torch.jit.save(m, out_path(rel))
    tensors = [tensor_entry(n, t) for n, t in
               list(m.named_parameters()) + list(m.named_buffers())]
    add(rel, "torchscript", "torchscript",
        "torch.jit.save of a scripted Conv+BN+Linear (code/ records deflated)",
        tensors=tensors, sd_path=None)


def lightning_and_hf_fixtures(M):
    torch.manual_seed(13)
    inner = M.SimpleModel(4, 3)
    lit = M.LitWrapper(inner)
    opt = torch.optim.Adam(lit.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10)
    lit.model(torch.randn(2, 4)).sum().backward()
    opt.step()
    sched.step()
    ck = {
        "epoch": 4,
        "global_step": 120,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": lit.state_dict(),
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"current": {"completed": 4}}}},
        "callbacks": {"ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min'}":
                      {"best_model_score": torch.tensor(0.125), "best_model_path": "x.ckpt"}},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [sched.state_dict()],
        "hparams_name": "kwargs",
        "hyper_parameters": {"lr": 1e-3, "hidden": 3,
                             "args": argparse.Namespace(batch_size=32, name="run1")},
    }
    add(save(ck, "lightning/epoch=4-step=120.ckpt"), "torch-zip", "lightning",
        "Lightning-shaped checkpoint (model. prefix, optimizer_states, argparse.Namespace)",
        ck, "['state_dict']")

    torch.manual_seed(14)
    hf = {"bert.embeddings.word_embeddings.weight": torch.randn(16, 8),
          "bert.encoder.layer.0.attention.self.query.weight": torch.randn(8, 8),
          "bert.encoder.layer.0.attention.self.query.bias": torch.randn(8),
          "classifier.weight": torch.randn(2, 8),
          "classifier.bias": torch.randn(2)}
    add(save(hf, "hf/pytorch_model.bin"), "torch-zip", "tensor-dict",
        "Hugging Face-shaped pytorch_model.bin: plain dict, no _metadata", hf, "")

    keys = list(hf)
    shard_names = ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"]
    parts = [dict((k, hf[k]) for k in keys[:3]), dict((k, hf[k]) for k in keys[3:])]
    weight_map = {}
    for fname, part in zip(shard_names, parts):
        add(save(part, "hf_sharded/" + fname), "torch-zip", "tensor-dict",
            "shard of a sharded pytorch_model.bin set", part, "")
        for k in part:
            weight_map[k] = fname
    total = sum(t.numel() * t.element_size() for t in hf.values())
    rel = "hf_sharded/pytorch_model.bin.index.json"
    with open(out_path(rel), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    tensors = []
    walk(hf, "", "", tensors)
    add(rel, "sharded-index", "sharded", "index of a sharded pytorch_model.bin set",
        tensors=tensors, sd_path="", load_check=False,
        extra={"shards": {fn: list(p) for fn, p in zip(shard_names, parts)}})


SAFETENSORS_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def safetensors_bytes(tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata or {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # the safetensors writer pads to 8
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_bytes(rel, data):
    with open(out_path(rel), "wb") as f:
        f.write(data)
    return rel


def safetensors_fixtures():
    torch.manual_seed(15)
    st = collections.OrderedDict([
        ("embed.weight", torch.randn(6, 4)),
        ("norm.weight", torch.ones(4, dtype=torch.float16)),
        ("head.weight", torch.randn(3, 4).to(torch.bfloat16)),
        ("head.bias", torch.zeros(3, dtype=torch.float64)),
        ("position_ids", torch.arange(8, dtype=torch.int64)),
        ("mask", torch.tensor([True, False])),
    ])
    blob = safetensors_bytes(st)
    add(write_bytes("safetensors/model.safetensors", blob), "safetensors", "safetensors",
        "single safetensors file written with struct+json", st, "", load_check=False)
    add(write_bytes("safetensors/model.pt", blob), "safetensors", "safetensors",
        "a safetensors file named model.pt (torch.load fails on it)", st, "",
        error="safetensors-as-pickle")

    keys = list(st)
    parts = [collections.OrderedDict((k, st[k]) for k in keys[:3]),
             collections.OrderedDict((k, st[k]) for k in keys[3:])]
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map = {}
    for fname, part in zip(names, parts):
        add(write_bytes("st_sharded/" + fname, safetensors_bytes(part)), "safetensors",
            "safetensors", "shard of a sharded safetensors set", part, "", load_check=False)
        weight_map.update((k, fname) for k in part)
    total = sum(t.numel() * t.element_size() for t in st.values())
    all_tensors = []
    walk(st, "", "", all_tensors)

    def index(rel, body, description, error=None):
        write_bytes("st_sharded/" + rel, body.encode())
        add("st_sharded/" + rel, "sharded-index", "sharded", description,
            tensors=all_tensors, sd_path="", error=error, load_check=False,
            extra={"shards": {fn: list(p) for fn, p in zip(names, parts)}})

    def dump(wm, total_size=total):
        return json.dumps({"metadata": {"total_size": total_size}, "weight_map": wm}, indent=2)

    index("model.safetensors.index.json", dump(weight_map), "valid safetensors index")
    wm = dict(weight_map)
    wm["lm_head.weight"] = names[1]
    index("broken-missing-tensor.safetensors.index.json", dump(wm),
          "index maps lm_head.weight, which no shard holds", "index-missing-tensor")
    wm = dict(weight_map)
    del wm["mask"]
    index("broken-extra-tensor.safetensors.index.json", dump(wm),
          "shard 2 holds `mask`, which the index does not list", "index-extra-tensor")
    text = dump(weight_map)
    dup = text.replace('"head.bias": "%s"' % names[1],
                       '"head.bias": "%s",\n    "head.bias": "%s"' % (names[1], names[0]))
    assert dup != text
    index("broken-duplicate.safetensors.index.json", dup,
          "head.bias listed twice (two shards)", "index-duplicate-tensor")
    index("broken-total-size.safetensors.index.json", dump(weight_map, total + 1000),
          "metadata.total_size disagrees with the shards", "index-total-size")
    wm = dict(weight_map)
    wm["mask"] = "../" + names[1]
    index("broken-traversal.safetensors.index.json", dump(wm),
          "a shard path escapes the folder with ../", "index-path-traversal")


def dcp_fixture():
    """torch 1.13 has no torch.distributed.checkpoint: lay out the folder the
    way FileSystemWriter + DefaultSavePlanner (torch 2.x) does: `.metadata` is
    a pickled Metadata, `__0_0.distcp` holds each tensor torch.save'd back to
    back (one zip per tensor)."""
    modname = "torch.distributed.checkpoint"
    fake = {}
    for sub in ("metadata", "filesystem"):
        fake[sub] = types.ModuleType(modname + "." + sub)

    def place(cls, sub):
        cls.__module__ = modname + "." + sub
        cls.__qualname__ = cls.__name__
        setattr(fake[sub], cls.__name__, cls)
        return cls

    class _MEM_FORMAT_ENCODING(enum.Enum):
        TORCH_CONTIGUOUS_FORMAT = 0
        TORCH_CHANNELS_LAST = 1
        TORCH_PRESERVE_FORMAT = 2
    place(_MEM_FORMAT_ENCODING, "metadata")

    @dataclasses.dataclass
    class ChunkStorageMetadata:
        offsets: torch.Size
        sizes: torch.Size
    place(ChunkStorageMetadata, "metadata")

    @dataclasses.dataclass
    class TensorProperties:
        dtype: torch.dtype
        layout: torch.layout = torch.strided
        requires_grad: bool = False
        memory_format: object = torch.contiguous_format
        pin_memory: bool = False

        def __getstate__(self):  # as in torch 2.x: memory_format is not picklable
            return (self.dtype, self.layout, self.requires_grad,
                    _MEM_FORMAT_ENCODING.TORCH_CONTIGUOUS_FORMAT, self.pin_memory)
    place(TensorProperties, "metadata")

    @dataclasses.dataclass
    class TensorStorageMetadata:
        properties: TensorProperties
        size: torch.Size
        chunks: list
    place(TensorStorageMetadata, "metadata")

    @dataclasses.dataclass(frozen=True)
    class MetadataIndex:
        fqn: str
        offset: object = None
        index: object = None
    place(MetadataIndex, "metadata")

    @dataclasses.dataclass
    class Metadata:
        state_dict_metadata: dict
        planner_data: object = None
        storage_data: object = None
    place(Metadata, "metadata")

    @dataclasses.dataclass
    class _StorageInfo:
        relative_path: str
        offset: int
        length: int
    place(_StorageInfo, "filesystem")

    torch.manual_seed(16)
    sd = collections.OrderedDict([("fc.weight", torch.randn(3, 4)), ("fc.bias", torch.randn(3)),
                                  ("emb.weight", torch.randn(5, 2).to(torch.float16))])
    folder = out_path("dcp/checkpoint/.metadata")
    data = io.BytesIO()
    smeta, storage = {}, {}
    for fqn, t in sd.items():
        start = data.tell()
        torch.save(t.clone(), data)
        length = data.tell() - start
        zero = torch.Size([0] * t.dim())
        smeta[fqn] = TensorStorageMetadata(TensorProperties(t.dtype), t.size(),
                                           [ChunkStorageMetadata(zero, t.size())])
        storage[MetadataIndex(fqn, zero, 0)] = _StorageInfo("__0_0.distcp", start, length)
    meta = Metadata(smeta, {k: (k,) for k in sd}, storage)
    saved = {k: sys.modules.get(modname + "." + k) for k in fake}
    try:
        for k, m in fake.items():
            sys.modules[modname + "." + k] = m
        blob = pickle.dumps(meta, protocol=pickle.DEFAULT_PROTOCOL)
    finally:
        for k, m in saved.items():
            if m is None:
                sys.modules.pop(modname + "." + k, None)
            else:
                sys.modules[modname + "." + k] = m
    with open(folder, "wb") as f:
        f.write(blob)
    with open(os.path.join(os.path.dirname(folder), "__0_0.distcp"), "wb") as f:
        f.write(data.getvalue())
    add("dcp/checkpoint", "distributed-checkpoint", "state-dict",
        "torch.distributed.checkpoint folder laid out as torch 2.x FileSystemWriter does "
        "(torch 1.13 cannot write one: no torch.distributed.checkpoint module)",
        sd, "", load_check=False,
        extra={"note": "torch 1.13 lacks torch.distributed.checkpoint; folder built by hand"})


def corrupt_fixtures():
    add(write_bytes("broken/lfs_pointer.pt",
                    b"version https://git-lfs.github.com/spec/v1\n"
                    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                    b"size 438007864\n"),
        "not-a-checkpoint", "other", "git-LFS pointer instead of the weights", error="lfs-pointer")
    add(write_bytes("broken/error_page.pt",
                    b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
                    b"<body><h1>Not Found</h1><p>The requested URL was not found.</p></body></html>\n"),
        "not-a-checkpoint", "other", "HTML error page saved as a checkpoint", error="html")
    add(write_bytes("broken/empty.pt", b""), "not-a-checkpoint", "other", "empty file",
        error="empty")
    add(write_bytes("broken/random.bin", random.Random(1234).randbytes(4096)),
        "not-a-checkpoint", "other", "4 KiB of random bytes", error="unknown-binary")

    torch.manual_seed(17)
    # A plain dict, so LibTorch's pickle_load gets as far as the damage.
    sd = {"a.weight": torch.randn(8, 8), "a.bias": torch.randn(8), "b.weight": torch.randn(4, 8)}
    good = out_path("broken/checkpoint.pt")
    torch.save(sd, good)
    raw = open(good, "rb").read()
    records = read_zip_records(good)
    os.remove(good)
    arch = records[0][0].split("/", 1)[0]
    for label, cut in [("header", 20), ("middle", len(raw) // 2), ("eocd", len(raw) - 10)]:
        rel = write_bytes("broken/truncated_%s.pt" % label, raw[:cut])
        add(rel, "torch-zip", "other",
            "a torch zip truncated to %d of %d bytes" % (cut, len(raw)),
            error="truncated-zip", extra={"truncated_at": cut, "full_size": len(raw)})

    rel = "broken/missing_record.pt"
    write_zip(out_path(rel), [(n, d) for n, d in records if n != arch + "/data/1"])
    add(rel, "torch-zip", "tensor-dict", "zip without the data/1 record a tensor needs",
        sd, "", error="missing-record", extra={"missing_record": "data/1"})

    rel = "broken/no_version.pt"
    write_zip(out_path(rel), [(n, d) for n, d in records if n != arch + "/version"])
    add(rel, "torch-zip", "tensor-dict", "zip without the `version` record", sd, "",
        error="missing-version")

    rel = "broken/short_storage.pt"
    write_zip(out_path(rel), [(n, d[:100] if n == arch + "/data/0" else d) for n, d in records])
    add(rel, "torch-zip", "tensor-dict",
        "data/0 holds 100 bytes but a.weight needs 8*8*4 = 256",
        sd, "", error="storage-size-mismatch",
        extra={"short_record": "data/0", "record_bytes": 100, "needed_bytes": 256,
               "note": "torch 1.13 loads this silently: set_() grows the storage, "
                       "so a.weight comes back with uninitialised elements"})

    b = io.BytesIO()
    torch.save(sd, b)
    rel = write_bytes("sd/archive_folder.pt", b.getvalue())
    add(rel, "torch-zip", "tensor-dict", "saved to a BytesIO: zip folder `archive/`", sd, "")


# Everything this script writes under OUT_DIR (what a re-run may delete).
OUTPUT_ENTRIES = ["seed", "modules", "dtypes", "sd", "optim", "proto", "legacy", "devices",
                  "torchscript", "lightning", "hf", "hf_sharded", "safetensors", "st_sharded",
                  "dcp", "broken", "src", "manifest.json"]


def main():
    global OUT
    # TorchScript code lists Final constants in set order: pin the hash seed.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    OUT = os.path.abspath(sys.argv[1])
    os.makedirs(OUT, exist_ok=True)
    # Idempotent: drop what a previous run wrote (only if it was us).
    if os.path.exists(os.path.join(OUT, "manifest.json")):
        for entry in OUTPUT_ENTRIES:
            p = os.path.join(OUT, entry)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
    # The model package stays in OUT_DIR/src: pickles reference `models.simple`,
    # and tests can resolve those globals against real source.
    M = install_models_package(os.path.join(OUT, "src"))
    if True:
        seed_examples(M)
        dtype_fixtures()
        model_fixtures(M)
        optimizer_fixtures(M)
        protocol_and_legacy_fixtures(M)
        legacy_tar_fixture()
        location_fixtures()
        torchscript_fixture(M)
        lightning_and_hf_fixtures(M)
        safetensors_fixtures()
        dcp_fixture()
        corrupt_fixtures()
    manifest = {"generator": "tests/make_fixtures.py", "torch_version": torch.__version__,
                "model_source": "src/models/simple.py",
                "nondeterministic": ["legacy/*: storage keys are str(id(storage)), memory addresses"],
                "fixtures": [f for f in FIXTURES if f.get("path")],
                "skipped": [f["skipped"] for f in FIXTURES if not f.get("path")]}
    tmp_manifest = os.path.join(OUT, "manifest.json.tmp")
    with open(tmp_manifest, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp_manifest, os.path.join(OUT, "manifest.json"))
    print("wrote %d fixtures to %s" % (len(manifest["fixtures"]), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
