"""picklescan's method, for comparison: open the zip with `zipfile`, walk every
*.pkl record with `pickletools.genops` and collect GLOBAL / STACK_GLOBAL
references. Reads bytes only; never unpickles.

  python3 bench/pickletools_scan.py FILE_OR_DIR...
"""
import os
import pickletools
import sys
import zipfile


def scan_pickle(data):
    found, strings = set(), []
    for op, arg, _pos in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            found.add(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(strings[-2] + "." + strings[-1])
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
    return found


def scan_file(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            found = set()
            for name in z.namelist():
                if name.endswith(".pkl"):
                    found |= scan_pickle(z.read(name))
            return found
    with open(path, "rb") as f:
        return scan_pickle(f.read())


def walk(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in sorted(files):
                    yield os.path.join(root, f)
        else:
            yield p


if __name__ == "__main__":
    total = errors = 0
    for p in walk(sys.argv[1:]):
        try:
            total += len(scan_file(p))
        except Exception:  # malformed input: picklescan reports a scan error and goes on
            errors += 1
    print(total, "globals,", errors, "files not parsed")
