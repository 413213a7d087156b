#!/usr/bin/env python3
"""Differential test: does ptlint scan every pickle torch.load unpickles?

Generates checkpoint containers from a grammar of knobs (zip record names,
duplicates, CRCs, end records, compression, prepended bytes; tar magic,
checksums, member types, links, duplicates, pax/GNU names; legacy streams and
tar/legacy polyglots), asks real torch (1.13, in a subprocess) which pickle
bytes it unpickles, and checks that `ptlint inspect --format json` scanned
those same bytes (pickles or unread_pickles, matched by FNV-1a digest).
When torch reached the marker global, `ptlint check` must also report an
error-level PTL601/602/604 for the file.

Safety: the only "payload" is a reference to builtins.exec("pass"), and the
oracle's find_class returns a recorder for it instead of the real exec.
Nothing from outside this script is ever unpickled; only files generated
here are loaded.

    container_differential.py --ptlint BUILD/ptlint [--seed 1] [--cases 60]
    container_differential.py --ptlint BUILD/ptlint --long     # bench: every combination x5 seeds
"""
import argparse
import io
import itertools
import json
import os
import pickle
import random
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

BENIGN = pickle.dumps({"a": 1}, protocol=2)
# builtins.exec("pass"): the oracle intercepts the global (see ORACLE).
PAYLOAD = b"\x80\x02cbuiltins\nexec\nq\x00X\x04\x00\x00\x00passq\x01\x85q\x02Rq\x03."
PAYLOAD_P0 = b"cbuiltins\nexec\n(S'pass'\ntR."  # protocol 0, no NUL: fits a tar name


def fnv(data):
    h = 1469598103934665603
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


# ----------------------------------------------------------------- zip writer

def zip_bytes(records, comment=b"", crc_bad=(), deflate=(), extra_dirs=(), prepend=b""):
    """records: [(name, data)]; extra_dirs: [[(name, data)]] central
    directories written before the real one, described by fake end records
    placed in the comment."""
    out = bytearray(prepend)
    base = len(prepend)
    entries = []
    for i, (name, data) in enumerate(records):
        method = 8 if i in deflate else 0
        body = data
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = c.compress(data) + c.flush()
        crc = zlib.crc32(data) ^ (0xFFFFFFFF if i in crc_bad else 0)
        nb = name.encode("utf-8", "surrogateescape")
        off = len(out) - base
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(body), len(data), len(nb), 0)
        out += nb + body
        entries.append((nb, method, crc, len(body), len(data), off))

    def central(ents):
        cd = bytearray()
        for nb, method, crc, csize, usize, off in ents:
            cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, csize, usize,
                              len(nb), 0, 0, 0, 0, 0, off)
            cd += nb
        return bytes(cd)

    fake_ends = b""
    for which in extra_dirs:
        ents = [entries[i] for i in which]
        cd = central(ents)
        cd_off = len(out) - base
        out += cd
        fake_ends += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(ents), len(ents), len(cd), cd_off, 0)
    cd = central(entries)
    cd_off = len(out) - base
    out += cd
    comment = fake_ends + comment
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), cd_off, len(comment))
    out += comment
    return bytes(out)


def zip_variants(rng, exhaustive):
    knobs = {
        "name": ["data.pkl", "DATA.PKL", "Data.Pkl"],
        "dup": ["none", "payload-last", "payload-first", "case-dup"],
        "deflate": [False, True],
        "crc_bad": [False, True],
        "version": ["version", ".data/version", "VERSION", "none"],
        "end": ["plain", "trailing", "fake-end-in-comment"],
        "folder": ["archive", "Archive"],
        "prepend": ["none", "payload-pickle"],
        "payload": [False, True],
    }
    for combo in combos(knobs, rng, exhaustive):
        k = dict(combo)
        folder = k["folder"]
        main = PAYLOAD if k["payload"] else BENIGN
        records = [(folder + "/" + k["name"], main)]
        dup_index = None
        if k["dup"] == "payload-last":
            records = [(folder + "/data.pkl", BENIGN), (folder + "/data.pkl", PAYLOAD)]
        elif k["dup"] == "payload-first":
            records = [(folder + "/data.pkl", PAYLOAD), (folder + "/data.pkl", BENIGN)]
        elif k["dup"] == "case-dup":
            records = [(folder + "/data.pkl", BENIGN), (folder + "/DATA.pkl", PAYLOAD)]
        if k["version"] != "none":
            records.append((folder + "/" + k["version"], b"3\n"))
        deflate = {0} if k["deflate"] else set()
        crc_bad = {0} if k["crc_bad"] else set()
        extra_dirs = ()
        comment = b""
        if k["end"] == "fake-end-in-comment":
            # A second directory listing only a payload data.pkl (+ version).
            records.append((folder + "/data.pkl", PAYLOAD))
            which = [len(records) - 1] + [i for i, (n, _) in enumerate(records) if n.endswith("version")]
            extra_dirs = (which,)
            comment = b"x" * 3
        elif k["end"] == "trailing":
            pass
        prepend = PAYLOAD if k["prepend"] == "payload-pickle" else b""
        data = zip_bytes(records, comment, crc_bad, deflate, extra_dirs, prepend)
        if k["end"] == "trailing":
            data += b"\x00" * 64
        yield "zip-" + "-".join("%s=%s" % (a, b) for a, b in combo), data


# ----------------------------------------------------------------- tar writer

def tar_header(name, size, type_=b"0", linkname=b"", magic=b"ustar\x0000", signed=False, prefix=b"",
               high_bit_name=False):
    h = bytearray(512)
    nb = name if isinstance(name, bytes) else name.encode()
    if high_bit_name:
        nb = nb + b"\x00\xff"  # after the NUL: invisible to tarfile, changes the byte sum
    h[0:len(nb)] = nb[:100]
    h[100:108] = b"0000644\x00"
    h[108:116] = b"0000000\x00"
    h[116:124] = b"0000000\x00"
    h[124:136] = ("%011o" % size).encode() + b"\x00"
    h[136:148] = b"00000000000\x00"
    h[156:157] = type_
    h[157:157 + len(linkname)] = linkname
    h[257:257 + len(magic)] = magic
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b" " * 8
    if signed:
        s = 256 + sum((b - 256 if b > 127 else b) for i, b in enumerate(h) if not 148 <= i < 156) - 256
    else:
        s = sum(h)
    h[148:156] = ("%06o" % s).encode() + b"\x00 "
    return bytes(h)


def pad(data):
    return data + b"\x00" * ((512 - len(data) % 512) % 512)


def tar_member(name, data, **kw):
    return tar_header(name, len(data), **kw) + pad(data)


def tar_variants(rng, exhaustive):
    storages = pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2)
    tensors = pickle.dumps(0, protocol=2)
    knobs = {
        "magic": ["ustar", "gnu", "none"],
        "checksum": ["unsigned", "signed"],
        "pickle_type": ["0", "nul", "7", "unknown-Z", "symlink", "hardlink", "pax-path", "gnu-longname"],
        "dup": ["none", "payload-last", "payload-first"],
        "desync": [False, True],
        "polyglot": ["none", "name-is-pickle", "tar-fails"],
    }
    for combo in combos(knobs, rng, exhaustive):
        k = dict(combo)
        magic = {"ustar": b"ustar\x0000", "gnu": b"ustar  \x00", "none": b""}[k["magic"]]
        kw = dict(magic=magic, signed=k["checksum"] == "signed", high_bit_name=k["checksum"] == "signed")
        first_name = PAYLOAD_P0 if k["polyglot"] != "none" else b"sys_info"
        out = bytearray()
        out += tar_member(first_name, pickle.dumps({"protocol_version": 1001}, protocol=2), **kw)
        if k["desync"]:
            # A symlink header with a size: tarfile reads the next header right
            # after it; a reader that skips the size sees other members.
            hidden = tar_member("pickle", BENIGN, **kw)
            out += tar_header("link", len(hidden), type_=b"2", linkname=b"sys_info", **kw) + pad(hidden)
        out += tar_member("storages", storages, **kw)
        out += tar_member("tensors", tensors, **kw)
        t = k["pickle_type"]
        main = PAYLOAD
        if k["dup"] == "payload-last":
            out += tar_member("pickle", BENIGN, **kw)
        if t in ("0", "7"):
            out += tar_member("pickle", main, type_=t.encode(), **kw)
        elif t == "nul":
            out += tar_member("pickle", main, type_=b"\x00", **kw)
        elif t == "unknown-Z":
            out += tar_member("pickle", main, type_=b"Z", **kw)
        elif t == "symlink":
            out += tar_member("payload.bin", main, **kw)
            out += tar_header("pickle", 0, type_=b"2", linkname=b"payload.bin", **kw)
        elif t == "hardlink":
            out += tar_member("payload.bin", main, **kw)
            out += tar_header("pickle", 0, type_=b"1", linkname=b"payload.bin", **kw)
        elif t == "pax-path":
            rec = b" path=pickle\n"
            rec = str(len(rec) + 2).encode() + rec
            out += tar_member("PaxHeader", rec, type_=b"x", **kw)
            out += tar_member("innocent", main, **kw)
        elif t == "gnu-longname":
            out += tar_member("././@LongLink", b"pickle\x00", type_=b"L", **kw)
            out += tar_member("innocent", main, **kw)
        if k["dup"] == "payload-first":
            out += tar_member("pickle", BENIGN, **kw)
        if k["polyglot"] == "tar-fails":
            # A last member whose data runs past EOF: tarfile raises while
            # listing members, torch falls back to unpickling byte 0.
            out += tar_header("zzz", 1 << 20, **kw)
        else:
            out += b"\x00" * 1024
        yield "tar-" + "-".join("%s=%s" % (a, b) for a, b in combo), bytes(out)


def legacy_variants(rng, exhaustive):
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    proto = pickle.dumps(1001, protocol=2)
    sys_info = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                             "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    knobs = {"payload_in": ["none", "sys_info", "object", "storage_keys", "trailing"]}
    for combo in combos(knobs, rng, exhaustive):
        k = dict(combo)
        parts = [magic, proto, sys_info, BENIGN, pickle.dumps([], protocol=2)]
        where = {"sys_info": 2, "object": 3, "storage_keys": 4}.get(k["payload_in"])
        if where is not None:
            parts[where] = PAYLOAD
        data = b"".join(parts) + (PAYLOAD if k["payload_in"] == "trailing" else b"")
        yield "legacy-payload_in=" + k["payload_in"], data


def combos(knobs, rng, exhaustive):
    names = list(knobs)
    all_combos = [list(zip(names, values)) for values in itertools.product(*(knobs[n] for n in names))]
    if exhaustive:
        return all_combos
    rng.shuffle(all_combos)
    return all_combos


# ----------------------------------------------------------------- the oracle

ORACLE = r'''
import io, json, pickle, sys, types, warnings
warnings.simplefilter("ignore")
import torch

def fnv(data):
    h = 1469598103934665603
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h

STATE = {}

def marker(*args, **kwargs):
    STATE["fired"] = True
    return None

class RecordingUnpickler(pickle.Unpickler):
    def __init__(self, file, *args, **kwargs):
        super().__init__(file, *args, **kwargs)
        self._rec_file = file
        try:
            self._rec_start = file.tell()
        except Exception:
            self._rec_start = None

    def find_class(self, module, name):
        if module in ("builtins", "__builtin__") and name in ("exec", "eval"):
            return marker          # never the real function
        return super().find_class(module, name)

    def load(self):
        ok = False
        try:
            value = super().load()
            ok = True
            return value
        finally:
            f, start = self._rec_file, self._rec_start
            if start is not None:
                end = f.tell()
                f.seek(start)
                data = f.read(end - start)
                f.seek(end)
                STATE["pickles"].append({"digest": fnv(data), "complete": ok, "length": len(data)})

def load(file, **kwargs):
    return RecordingUnpickler(file, **kwargs).load()

recording = types.ModuleType("recording_pickle")
recording.__dict__.update({k: v for k, v in pickle.__dict__.items() if not k.startswith("__")})
recording.Unpickler = RecordingUnpickler
recording.load = load
# torch 1.13's torch.load replaces any pickle_module by the module-level
# `pickle` when weights_only is False: instrument that name.
torch.serialization.pickle = recording

results = {}
for path in sys.argv[1:]:
    STATE.clear()
    STATE["pickles"] = []
    STATE["fired"] = False
    error = None
    try:
        torch.load(path, map_location="cpu")
    except BaseException as e:  # torch's own errors; nothing here runs foreign code
        error = type(e).__name__ + ": " + str(e)[:200]
    results[path] = {"pickles": STATE["pickles"], "fired": STATE["fired"], "error": error}
print(json.dumps(results))
'''


TORCHSCRIPT = r'''
import sys, torch, torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.BatchNorm2d(4)
        self.head = nn.Linear(4, 2)
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(x)).relu().mean(dim=(2, 3))
        return self.head(y)
torch.jit.save(torch.jit.script(Block()), sys.argv[1])
torch.jit.save(torch.jit.trace(Block().eval(), torch.zeros(1, 3, 8, 8)), sys.argv[2])
'''


def check_torchscript(args, workdir):
    """A scripted and a traced model (benign, made here) must get no
    error-level PTL601/602/604: TorchScript's own unpickler reads them."""
    scripted = os.path.join(workdir, "scripted.pt")
    traced = os.path.join(workdir, "traced.pt")
    script = os.path.join(workdir, "make_torchscript.py")  # torch.jit.script reads the source
    with open(script, "w") as f:
        f.write(TORCHSCRIPT)
    out = subprocess.run([args.torch_python, script, scripted, traced], capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        return ["could not build the TorchScript fixtures: " + out.stderr[-500:]]
    out = subprocess.run([args.ptlint, "check", "--output-format", "json", "--exit-zero", scripted, traced],
                         capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout)
    bad = [d for d in report.get("diagnostics", [])
           if d.get("code") in ("PTL601", "PTL602", "PTL604") and d.get("severity") == "error"]
    return ["benign TorchScript model got %s: %s" % (d["code"], d.get("message", "")[:200]) for d in bad]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptlint", required=True)
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=40, help="cases per container family (short mode)")
    ap.add_argument("--long", action="store_true", help="every combination of every knob")
    ap.add_argument("--workdir")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    workdir = args.workdir or tempfile.mkdtemp(prefix="ptlint-container-diff-")
    os.makedirs(workdir, exist_ok=True)

    files = {}
    for family in (zip_variants, tar_variants, legacy_variants):
        for i, (name, data) in enumerate(family(rng, args.long)):
            if not args.long and i >= args.cases:
                break
            path = os.path.join(workdir, "case%04d.pt" % len(files))
            with open(path, "wb") as f:
                f.write(data)
            files[path] = name

    paths = list(files)
    oracle = {}
    for start in range(0, len(paths), 200):
        batch = paths[start:start + 200]
        out = subprocess.run([args.torch_python, "-c", ORACLE] + batch, capture_output=True, text=True,
                             timeout=1800)
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return 2
        oracle.update(json.loads(out.stdout.strip().splitlines()[-1]))

    failures = []
    counts = {"cases": len(paths), "torch_pickles": 0, "matched": 0, "torch_partial": 0,
              "marker_fired": 0, "flagged": 0, "torch_errors": 0}
    for start in range(0, len(paths), 200):
        batch = paths[start:start + 200]
        out = subprocess.run([args.ptlint, "inspect", "--format", "json"] + batch, capture_output=True,
                             text=True, timeout=1800)
        try:
            report = json.loads(out.stdout)
        except ValueError:
            print("ptlint inspect did not print JSON:", out.stdout[:500], out.stderr[-2000:], file=sys.stderr)
            return 2
        checkpoints = report if isinstance(report, list) else report.get("checkpoints", [report])
        by_path = {}
        for cp in checkpoints:
            by_path[cp.get("path")] = cp
        for path in batch:
            cp = by_path.get(path)
            o = oracle[path]
            counts["torch_errors"] += o["error"] is not None
            scanned = set()
            if cp is not None:
                for p in cp.get("pickles", []) + cp.get("unread_pickles", []):
                    if p.get("digest"):
                        scanned.add(p["digest"])
            for p in o["pickles"]:
                if not p["complete"]:
                    counts["torch_partial"] += 1
                    continue
                counts["torch_pickles"] += 1
                if p["digest"] in scanned:
                    counts["matched"] += 1
                else:
                    failures.append("%s (%s): torch unpickled %d bytes (digest %s) that ptlint did not scan"
                                    % (files[path], path, p["length"], p["digest"]))
    fired = [p for p in paths if oracle[p]["fired"]]
    counts["marker_fired"] = len(fired)
    for start in range(0, len(fired), 200):
        batch = fired[start:start + 200]
        out = subprocess.run([args.ptlint, "check", "--output-format", "json", "--exit-zero"] + batch,
                             capture_output=True, text=True, timeout=1800)
        try:
            findings = json.loads(out.stdout)
        except ValueError:
            print("ptlint check did not print JSON:", out.stdout[:500], out.stderr[-2000:], file=sys.stderr)
            return 2
        items = findings if isinstance(findings, list) else findings.get("diagnostics", findings.get("findings", []))
        flagged = set()
        for d in items:
            code = d.get("code") or d.get("rule")
            sev = d.get("severity", "error")
            where = d.get("checkpoint") or (d.get("location") or {}).get("path") or ""
            if code in ("PTL601", "PTL602", "PTL604") and sev == "error":
                flagged.add(os.path.abspath(where))
        for path in batch:
            if os.path.abspath(path) in flagged:
                counts["flagged"] += 1
            else:
                failures.append("%s (%s): torch ran the marker global but ptlint check raised no "
                                "error-level PTL601/602/604" % (files[path], path))
    failures += check_torchscript(args, workdir)
    print("container differential: " + ", ".join("%s=%d" % kv for kv in counts.items()))
    if args.verbose:
        for path in paths:
            print(files[path], json.dumps(oracle[path]))
    for f in failures[:50]:
        print("FAIL", f)
    if len(failures) > 50:
        print("... and %d more failures" % (len(failures) - 50))
    if failures:
        print("the cases are kept in", workdir)
    elif not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)  # a folder of its own: nothing else is in it
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
