"""picklescan's method, for comparison: open the zip with `zipfile`, walk every
*.pkl record with `pickletools.genops` and collect GLOBAL / STACK_GLOBAL
references. Reads bytes only; never unpickles.

  python3 bench/pickletools_scan.py FILE...
"""
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


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(p, len(scan_file(p)), "globals")
