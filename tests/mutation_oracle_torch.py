#!/usr/bin/python3
"""Real-torch worker for tests/mutation_oracle.py.

Imports torch once, then answers one JSON request per stdin line:
  {"cwd": DIR, "script": PATH}  ->  {"ok": bool, "error": "Type: message"}
Each request runs PATH as __main__ in a forked child whose cwd and sys.path[0]
are DIR, so the project's modules are imported fresh per request and never in
this process (nor in the oracle, which never imports torch or the project).
"""
import json
import os
import runpy
import sys
import traceback

import torch

torch.set_num_threads(1)


def run_child(cwd, script, wfd):
    try:
        os.chdir(cwd)
        sys.path.insert(0, cwd)
        sys.argv = [script]
        runpy.run_path(script, run_name="__main__")
        msg = {"ok": True, "error": ""}
    except BaseException as e:  # noqa: BLE001 - the verdict is the exception itself
        last = traceback.extract_tb(e.__traceback__)[-1:]
        where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
        msg = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:400]}{where}"}
    os.write(wfd, json.dumps(msg).encode())
    os._exit(0)


def main():
    for line in sys.stdin:
        req = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            run_child(req["cwd"], req["script"], w)
        os.close(w)
        chunks = []
        while True:
            b = os.read(r, 65536)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        try:
            msg = json.loads(b"".join(chunks).decode())
        except ValueError:
            msg = {"ok": False, "error": f"child died (status {status})"}
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
