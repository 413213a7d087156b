"""Times `ptlint lsp` as an editor would drive it (stdio JSON-RPC).

    python3 bench/lsp_bench.py PTLINT_BIN [--keystrokes 200] [--torch-dir DIR]

(a) keystroke latency: a generated 500-file workspace (one 2,000-line file
    is edited; every file defines nn.Module classes; five load sites and, when
    /usr/bin/python3 has torch, two checkpoints bound to classes). Each
    keystroke is an incremental didChange followed by a pull
    textDocument/diagnostic; the debounce is set to 0, so the time is the
    server's whole pipeline: UpdateFile (tree-sitter incremental reparse),
    call-site re-extraction of the file, LinkProject, LintProject. Target:
    p95 <= 20 ms.
(b) first index of torch's own package (DIR, default
    /usr/lib/python3/dist-packages/torch) as the workspace: initialize ->
    initialized -> the end of `$/progress`. Target <= 2 s.
(c) idle RSS of both servers (VmRSS from /proc) after the runs.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BLOCK = '''

class Block{i}(nn.Module):
    def __init__(self, dim=64, hidden=128):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        y = self.fc1(self.norm(x))
        y = torch.relu(y)
        return x + self.fc2(y)
'''


def make_workspace(root, files=500, big_lines=2000):
    os.makedirs(os.path.join(root, "src", "pkg"), exist_ok=True)
    with open(os.path.join(root, "pyproject.toml"), "w") as f:
        f.write('[tool.ptlint]\nsrc = ["src"]\ncheckpoints = ["ckpt"]\n')
    open(os.path.join(root, "src", "pkg", "__init__.py"), "w").close()
    for n in range(files - 1):
        with open(os.path.join(root, "src", "pkg", f"mod{n}.py"), "w") as f:
            f.write("import torch\nfrom torch import nn\n")
            for i in range(3):
                f.write(BLOCK.format(i=f"{n}_{i}"))
            if n < 5:
                f.write(f'\n\ndef load():\n    m = Block{n}_0()\n'
                        f'    m.load_state_dict(torch.load("ckpt/m{n}.pt"))\n    return m\n')
    # The big file: ~2,000 lines of classes.
    with open(os.path.join(root, "src", "pkg", "big.py"), "w") as f:
        f.write("import torch\nfrom torch import nn\n")
        i = 0
        lines = 2
        while lines < big_lines:
            f.write(BLOCK.format(i=f"Big{i}"))
            lines += BLOCK.count("\n")
            i += 1
    os.makedirs(os.path.join(root, "ckpt"), exist_ok=True)
    script = (
        "import torch, sys\nfrom torch import nn\n"
        "class B(nn.Module):\n"
        "    def __init__(s):\n        super().__init__(); s.norm=nn.LayerNorm(64); s.fc1=nn.Linear(64,128); s.fc2=nn.Linear(128,64)\n"
        "for n in range(2): torch.save(B().state_dict(), sys.argv[1] + f'/m{n}.pt')\n")
    if os.path.exists("/usr/bin/python3"):
        r = subprocess.run(["/usr/bin/python3", "-c", script, os.path.join(root, "ckpt")],
                           capture_output=True)
        if r.returncode != 0:
            print("(no torch in /usr/bin/python3: no checkpoints in the workspace)")


class Client:
    def __init__(self, binary, root, caps, options):
        self.p = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.t0 = time.perf_counter()
        self.request("initialize", {"rootUri": "file://" + root, "capabilities": caps,
                                    "initializationOptions": options})
        self.notify("initialized", {})

    def send(self, m):
        b = json.dumps(m).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b)
        self.p.stdin.flush()

    def recv(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError
            line = line.strip()
            if not line:
                break
            k, v = line.split(b":", 1)
            if k.lower() == b"content-length":
                length = int(v)
        return json.loads(self.p.stdout.read(length))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            m = self.recv()
            if "method" in m and "id" in m:  # server -> client request
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})
                continue
            if m.get("id") == rid and "method" not in m:
                return m

    def wait_progress_end(self):
        while True:
            m = self.recv()
            if "method" in m and "id" in m:
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})
            elif m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end":
                return

    def rss_mib(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.p.wait(timeout=10)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--keystrokes", type=int, default=200)
    ap.add_argument("--torch-dir", default="/usr/lib/python3/dist-packages/torch")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    caps = {"textDocument": {"diagnostic": {}}, "window": {"workDoneProgress": True}}

    root = tempfile.mkdtemp(prefix="ptlint-lsp-bench-")
    try:
        make_workspace(root)
        c = Client(binary, root, caps, {"debounce": 0, "pollInterval": 0})
        c.wait_progress_end()
        index_ms = (time.perf_counter() - c.t0) * 1000
        big = os.path.join(root, "src", "pkg", "big.py")
        text = open(big).read()
        uri = "file://" + big
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                         "version": 1, "text": text}})
        c.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        lines = text.split("\n")
        target = next(i for i, l in enumerate(lines) if "self.fc1 = nn.Linear(dim, hidden)" in l
                      and i > len(lines) // 2)
        col = lines[target].index("hidden")
        times = []
        for k in range(a.keystrokes):
            # Type one character, then delete it: every other keystroke restores the text.
            if k % 2 == 0:
                change = {"range": {"start": {"line": target, "character": col},
                                    "end": {"line": target, "character": col}}, "text": "x"}
            else:
                change = {"range": {"start": {"line": target, "character": col},
                                    "end": {"line": target, "character": col + 1}}, "text": ""}
            t = time.perf_counter()
            c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": k + 2},
                                                "contentChanges": [change]})
            r = c.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            times.append((time.perf_counter() - t) * 1000)
            assert "result" in r, r
        time.sleep(0.5)
        rss_a = c.rss_mib()
        c.close()
        print(f"(a) keystroke -> diagnostics, 2,000-line file in a 500-file workspace "
              f"({a.keystrokes} keystrokes): p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms, "
              f"max {max(times):.1f} ms (target p95 <= 20 ms); first index {index_ms:.0f} ms; "
              f"idle RSS {rss_a:.1f} MiB")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    if os.path.isdir(a.torch_dir):
        c = Client(binary, a.torch_dir, caps, {"debounce": 0, "pollInterval": 0})
        c.wait_progress_end()
        ms = (time.perf_counter() - c.t0) * 1000
        time.sleep(0.5)
        rss_b = c.rss_mib()
        c.close()
        print(f"(b) first index of {a.torch_dir} (initialize -> end of $/progress): {ms:.0f} ms "
              f"(target <= 2000 ms); (c) idle RSS after it {rss_b:.1f} MiB")


if __name__ == "__main__":
    main()
