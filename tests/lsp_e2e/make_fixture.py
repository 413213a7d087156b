"""Writes the project the LSP end-to-end tests open (or rewrites its checkpoint).

    /usr/bin/python3 make_fixture.py DIR [--checkpoint drifted|clean]

DIR/pyproject.toml   [tool.ptlint] src = ["src"], checkpoints = ["ckpt"]
DIR/src/model.py     TinyNet today: `encoder` (was `features`), `norm` (new), `head`
DIR/src/load.py      model.load_state_dict(torch.load("ckpt/model.pt"))
DIR/ckpt/model.pt    a real torch.save of a state dict: drifted = TinyNet as it was
                     (PTL204 on `self.encoder`, PTL201 on `self.norm`); clean = today's.
Needs torch (Debian's /usr/bin/python3 has 1.13).
"""
import argparse
import os

MODEL_PY = '''import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, in_features=16, hidden=32, classes=4):
        super().__init__()
        self.encoder = nn.Linear(in_features, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.norm(torch.relu(self.encoder(x))))
'''

LOAD_PY = '''import torch

from model import TinyNet


def load():
    model = TinyNet()
    model.load_state_dict(torch.load("ckpt/model.pt"))
    return model
'''

PYPROJECT = '''[project]
name = "ptlint-lsp-fixture"
version = "0.0.0"

[tool.ptlint]
src = ["src"]
checkpoints = ["ckpt"]
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def save(path, kind):
    import torch
    from torch import nn

    class Old(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Linear(16, 32)
            self.head = nn.Linear(32, 4)

    class Today(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(16, 32)
            self.norm = nn.LayerNorm(32)
            self.head = nn.Linear(32, 4)

    torch.manual_seed(0)
    model = Old() if kind == "drifted" else Today()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--checkpoint", choices=["drifted", "clean"], default="drifted")
    ap.add_argument("--only-checkpoint", action="store_true")
    a = ap.parse_args()
    if not a.only_checkpoint:
        write(os.path.join(a.dir, "pyproject.toml"), PYPROJECT)
        write(os.path.join(a.dir, "src", "model.py"), MODEL_PY)
        write(os.path.join(a.dir, "src", "load.py"), LOAD_PY)
    save(os.path.join(a.dir, "ckpt", "model.pt"), a.checkpoint)


if __name__ == "__main__":
    main()
