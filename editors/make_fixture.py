"""Writes the tiny project the editor, pre-commit and LSP end-to-end tests run ptlint on.

    PTLINT_PYTHON editors/make_fixture.py DIR [--checkpoint drifted|clean|none]

DIR/
  pyproject.toml     [tool.ptlint] src = ["src"], checkpoints = ["ckpt"]
  src/model.py       TinyNet as it is today: `encoder`, `head`, `norm`
  src/load.py        model.load_state_dict(torch.load("ckpt/model.pt"))
  ckpt/model.pt      a real torch.save of a state dict:
                       drifted: from TinyNet as it was (`features`, `head`, no `norm`),
                                so `features` reads as renamed to `encoder` (PTL204)
                                and `norm.*` is missing (PTL201);
                       clean:   from today's TinyNet (no finding);
                       none:    not written.

Needs torch (Debian's /usr/bin/python3 has 1.13; the python on PATH may not).
"""
import argparse
import os
import sys
import textwrap

MODEL_PY = textwrap.dedent('''\
    import torch
    from torch import nn


    class TinyNet(nn.Module):
        def __init__(self, in_features=16, hidden=32, classes=4):
            super().__init__()
            self.encoder = nn.Linear(in_features, hidden)
            self.norm = nn.LayerNorm(hidden)
            self.head = nn.Linear(hidden, classes)

        def forward(self, x):
            return self.head(self.norm(torch.relu(self.encoder(x))))
    ''')

LOAD_PY = textwrap.dedent('''\
    import torch

    from model import TinyNet


    def load():
        model = TinyNet()
        model.load_state_dict(torch.load("ckpt/model.pt"))
        return model
    ''')

PYPROJECT = textwrap.dedent('''\
    [project]
    name = "ptlint-editor-fixture"
    version = "0.0.0"

    [tool.ptlint]
    src = ["src"]
    checkpoints = ["ckpt"]
    ''')


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def save_checkpoint(path, kind):
    import torch
    from torch import nn

    class OldTinyNet(nn.Module):
        # TinyNet as it was when the checkpoint was saved.
        def __init__(self, in_features=16, hidden=32, classes=4):
            super().__init__()
            self.features = nn.Linear(in_features, hidden)
            self.head = nn.Linear(hidden, classes)

    class TinyNet(nn.Module):
        # TinyNet as it is today (src/model.py).
        def __init__(self, in_features=16, hidden=32, classes=4):
            super().__init__()
            self.encoder = nn.Linear(in_features, hidden)
            self.norm = nn.LayerNorm(hidden)
            self.head = nn.Linear(hidden, classes)

    torch.manual_seed(0)
    model = OldTinyNet() if kind == "drifted" else TinyNet()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(model.state_dict(), path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--checkpoint", choices=["drifted", "clean", "none"], default="drifted")
    parser.add_argument("--checkpoint-only", action="store_true",
                        help="write only ckpt/model.pt")
    args = parser.parse_args()
    root = args.dir
    if not args.checkpoint_only:
        write(os.path.join(root, "pyproject.toml"), PYPROJECT)
        write(os.path.join(root, "src", "model.py"), MODEL_PY)
        write(os.path.join(root, "src", "load.py"), LOAD_PY)
    if args.checkpoint != "none":
        try:
            save_checkpoint(os.path.join(root, "ckpt", "model.pt"), args.checkpoint)
        except ImportError as e:
            sys.exit(f"make_fixture.py: {sys.executable} cannot import torch ({e}); "
                     "run it with Debian's /usr/bin/python3 (python3-torch) or set PTLINT_PYTHON")


if __name__ == "__main__":
    main()
