#!/usr/bin/python3
"""Writes global_safety.reexports.inc: the names under which the libraries a
checkpoint's pickles name (torch, torchvision, torchaudio, numpy and the
standard library they load) re-export a dangerous primitive.

`pickle.find_class(module, name)` imports `module` and then follows `name`
with getattr, one dotted component at a time. A module's attributes are not
only what it defines: `torch._import_dotted_name` is `torch._utils`'s
importer, `tokenize._builtin_open` is `open`, `torch.nn.modules.module.torch`
is the `torch` package. A blocklist that only knows the defining names misses
every such alias. This script asks the libraries themselves: it imports them
(their own code, never a checkpoint), walks every loaded module's namespace
and records

  * each attribute whose object is defined elsewhere under another name and
    is dangerous by ptlint's blocklist (the kTierEntries table of
    global_safety.cc, read from that file so there is one list), and
  * each attribute that is a module other than the submodule of that name
    (`import numpy as np`, `from torch import hub`) when that module is
    dangerous or holds a dangerous name, so that a dotted chain through it
    (`M` + `np.load`) resolves to its real name.

Run with the Debian torch the tests use:
    /usr/bin/python3 analyzer/analysis/global_safety.reexports.py
It rewrites the .inc beside it. The table is what torch 1.13 / torchvision
0.14 / torchaudio 0.13 / numpy / Python 3.11 define; other releases add and
drop aliases, which is why the chain check in global_safety.cc also judges
every sub-chain by the blocklist and fails closed on chains it cannot follow.
"""
import importlib
import os
import re
import sys
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def tier_entries():
    src = open(os.path.join(HERE, "global_safety.cc"), encoding="utf-8").read()
    start = src.index("constexpr TierEntry kTierEntries[]")
    block = src[start:src.index("\n};", start)]
    return re.findall(r'\{"([^"]+)",\s*(kExec|kNet|kFs|kGadget)', block)


def safe_wildcard_roots():
    src = open(os.path.join(HERE, "global_safety.cc"), encoding="utf-8").read()
    start = src.index("constexpr SafeEntry kStdlibSafe[]")
    block = src[start:src.index("\n};", start)]
    return [p[:-2] for p in re.findall(r'\{"([^"]+\.\*)",', block)]


ENTRIES = tier_entries()
VOUCHED_ROOTS = safe_wildcard_roots()
EXACT = {p: t for p, t in ENTRIES if not p.endswith(".*")}
WILDCARD_ROOTS = [p[:-2] for p, _ in ENTRIES if p.endswith(".*")]


def under(path, root):
    return path == root or path.startswith(root + ".")


def dangerous(module, qualified):
    """FindTierEntry of global_safety.cc: exact names, then module wildcards."""
    if qualified in EXACT:
        return True
    return any(under(module, r) or qualified.startswith(r + ".") for r in WILDCARD_ROOTS)


def holds_danger(module_name):
    """A module that is dangerous itself or contains a blocklisted name."""
    if dangerous(module_name, module_name):
        return True
    return any(p.startswith(module_name + ".") for p, _ in ENTRIES)


def vouched_module(module_name):
    return any(under(module_name, r) for r in VOUCHED_ROOTS)


def canonical(obj):
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
        return module, qualname
    return None


# What the libraries load, plus the standard modules whose aliases matter
# (their own import is harmless: no code from any checkpoint runs here).
LIBRARIES = ["torch", "torchvision", "torchaudio", "numpy"]
STDLIB = [
    "logging", "logging.handlers", "logging.config", "tokenize", "bz2", "gzip", "lzma",
    "pickle", "shelve", "code", "codeop", "pdb", "runpy", "timeit", "cProfile", "profile",
    "trace", "doctest", "importlib", "importlib.util", "pkgutil", "pydoc", "webbrowser",
    "shutil", "tempfile", "tarfile", "zipfile", "socket", "smtplib", "ftplib",
    "http.client", "http.server", "urllib.request", "xmlrpc.client", "asyncio", "threading",
    "ctypes", "subprocess", "multiprocessing", "inspect", "traceback", "linecache",
    "site", "sysconfig", "platform", "uuid", "zipimport", "fileinput", "glob", "mmap",
    "sqlite3", "dbm", "filecmp", "marshal", "operator", "functools", "copyreg", "types",
]


def main():
    warnings.simplefilter("ignore")
    for name in LIBRARIES + STDLIB:
        try:
            importlib.import_module(name)
        except Exception:  # an optional dependency missing: its aliases are simply absent
            pass
    rows = {}
    for module_name, module in sorted(dict(sys.modules).items()):
        if module is None or not isinstance(module, types.ModuleType):
            continue
        if module_name in ("__main__", "__mp_main__"):
            continue  # this script
        try:
            namespace = dict(vars(module))
        except Exception:
            continue
        for attribute, value in namespace.items():
            alias = module_name + "." + attribute
            if attribute == "__builtins__":
                continue  # an introspection attribute: global_safety.cc flags it by name
            if dangerous(module_name, alias):
                continue  # the blocklist already names it
            in_vouched = vouched_module(module_name) and not attribute.startswith("__")
            if isinstance(value, types.ModuleType):
                target = getattr(value, "__name__", None)
                if not isinstance(target, str) or target == alias:
                    continue  # the submodule of that name
                if in_vouched and not vouched_module(target):
                    rows[alias] = (target, "")
                    continue
                if target == attribute:
                    continue  # `import os`: a chain through it already spells os.system
                if holds_danger(target):
                    rows[alias] = (target, "")
                continue
            if not callable(value):
                continue
            c = canonical(value)
            if c is None:
                continue
            target_module, target_name = c
            target = target_module + "." + target_name
            if in_vouched and target != alias and not vouched_module(target_module):
                rows[alias] = (target_module, target_name)
                continue
            root, target_root = module_name.split(".")[0], target_module.split(".")[0]
            if (root in sys.stdlib_module_names and target_root not in sys.stdlib_module_names):
                continue  # a library monkeypatching the standard library (torch.package's inspect.getfile)
            if target != alias and dangerous(target_module, target):
                rows[alias] = (target_module, target_name)
    out = os.path.join(HERE, "global_safety.reexports.inc")
    with open(out, "w", encoding="utf-8") as f:
        f.write("// Generated by global_safety.reexports.py from torch %s, numpy %s, Python %s.\n"
                % (__import__("torch").__version__, __import__("numpy").__version__,
                   sys.version.split()[0]))
        f.write("// Do not edit: rerun the script. Sorted by alias (binary search).\n")
        f.write("// {alias, target module, target name (empty: the alias is a module)}\n")
        for alias in sorted(rows):
            target_module, target_name = rows[alias]
            f.write('{"%s", "%s", "%s"},\n' % (alias, target_module, target_name))
    print("%d aliases -> %s" % (len(rows), out))


if __name__ == "__main__":
    main()
