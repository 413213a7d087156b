"""Hover latency while `ptlint lsp` analyses a large open document (issue 13 §3).

    python3 bench/lsp_async_bench.py PTLINT_BIN [--rounds 30] [--mib 2.0]

A workspace with a small module (class Net, its load site) and one generated
Python file of about --mib MiB (nn.Module classes), opened as a document.
Each round: an edit of the large document (didChange), 80 ms later a hover on
`class Net` in the small module (so it lands while the edit is analysed:
debounce 50 ms), then the wait for that edit's publishDiagnostics.

Prints hover latency p50/max, keystroke -> diagnostic p50/max (edit sent ->
publishDiagnostics for that version), and the server's VmHWM/VmRSS.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

BLOCK = '''
class Block{i}(nn.Module):
    def __init__(self, dim=64, hidden=128):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(self.norm(x))))
'''

MODEL = '''import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)


def load():
    m = Net()
    m.load_state_dict(torch.load("ckpt/net.pt"))
    return m
'''


def uri(p):
    return "file://" + p


class Client:
    def __init__(self, binary, root, log=None):
        self.proc = subprocess.Popen([binary, "lsp"] + (["--log-level", "debug"] if log else []),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(log, "w") if log else subprocess.DEVNULL, cwd=root)
        self.messages = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self):
        out = self.proc.stdout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                c = out.read(1)
                if not c:
                    return
                header += c
            n = int([h for h in header.decode().split("\r\n") if h.lower().startswith("content-length")][0]
                    .split(":")[1])
            self.messages.put((time.monotonic(), json.loads(out.read(n))))

    def send(self, m):
        body = json.dumps(m).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, pred, timeout=120):
        """Messages until one satisfies pred: (time, message, everything seen)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            t, m = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            seen.append((t, m))
            if pred(m):
                return t, m, seen

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
        return 0


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--mib", type=float, default=2.0)
    ap.add_argument("--log", help="write the server's debug log here")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="ptlint-async-bench-")
    os.makedirs(os.path.join(root, "src", "pkg"))
    with open(os.path.join(root, "pyproject.toml"), "w") as f:
        f.write('[tool.ptlint]\nsrc = ["src"]\n')
    open(os.path.join(root, "src", "pkg", "__init__.py"), "w").close()
    model = os.path.join(root, "src", "pkg", "model.py")
    with open(model, "w") as f:
        f.write(MODEL)
    big = os.path.join(root, "src", "pkg", "big.py")
    text = "import torch\nfrom torch import nn\n"
    i = 0
    while len(text) < args.mib * (1 << 20):
        text += BLOCK.format(i=i)
        i += 1
    with open(big, "w") as f:
        f.write(text)
    c = Client(args.binary, root, args.log)
    c.request("initialize", {"rootUri": uri(root), "capabilities": {},
                             "initializationOptions": {"pollInterval": 0, "maxDocumentBytes": 64 << 20}})
    c.wait(lambda m: m.get("id") == 1)
    c.notify("initialized", {})
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri(big), "languageId": "python", "version": 1,
                                                       "text": text}})
    is_big_diag = lambda v: (lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri(big) and m["params"].get("version") == v)
    c.wait(is_big_diag(1))
    hovers, diags = [], []
    lines = text.count("\n")
    for r in range(args.rounds):
        v = r + 2
        t_edit = time.monotonic()
        line = 5 + (r * 97) % (lines - 10)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri(big), "version": v},
                                            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                                                          "end": {"line": line, "character": 0}},
                                                                "text": " "}]})
        time.sleep(0.08)
        t_hover = time.monotonic()
        hid = c.request("textDocument/hover", {"textDocument": {"uri": uri(model)},
                                               "position": {"line": 4, "character": 7}})
        got_hover = got_diag = None
        while got_hover is None or got_diag is None:
            t, m, _ = c.wait(lambda m: m.get("id") == hid or is_big_diag(v)(m))
            if m.get("id") == hid:
                got_hover = t
            else:
                got_diag = t
        hovers.append((got_hover - t_hover) * 1000)
        diags.append((got_diag - t_edit) * 1000)
        time.sleep(0.05)
    hwm, rss = c.status("VmHWM"), c.status("VmRSS")
    c.request("shutdown", None)
    c.notify("exit", None)
    c.proc.wait(timeout=30)
    print(f"document {len(text) / (1 << 20):.2f} MiB, {args.rounds} rounds")
    print(f"hover during analysis: p50 {pct(hovers, 0.5):.0f} ms, max {max(hovers):.0f} ms")
    print(f"keystroke -> diagnostic: p50 {pct(diags, 0.5):.0f} ms, max {max(diags):.0f} ms")
    print(f"RSS: peak {hwm:.0f} MiB, end {rss:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
