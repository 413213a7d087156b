"""Makes a synthetic 50-file project with 5 checkpoints for timing `ptlint src/ ckpt/`.

  /usr/bin/python3 bench/make_project.py OUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

TEMPLATE = '''import torch
import torch.nn as nn


class Block{i}(nn.Module):
    def __init__(self, dim={dim}, hidden={hidden}):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class Model{i}(nn.Module):
    def __init__(self, depth=4, dim={dim}, num_classes=10):
        super().__init__()
        self.embed = nn.Linear(3, dim)
        self.blocks = nn.ModuleList([Block{i}(dim, {hidden}) for _ in range(depth)])
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.embed(x)
        for b in self.blocks:
            x = b(x)
        return self.head(x)
'''


def main(out):
    src = os.path.join(out, "src", "proj")
    ckpt = os.path.join(out, "ckpt")
    os.makedirs(src, exist_ok=True)
    os.makedirs(ckpt, exist_ok=True)
    open(os.path.join(src, "__init__.py"), "w").close()
    for i in range(49):
        with open(os.path.join(src, f"model{i}.py"), "w") as f:
            f.write(TEMPLATE.format(i=i, dim=16 + i, hidden=32 + i))
    loads = ["import torch"]
    sys.path.insert(0, os.path.join(out, "src"))
    for i in range(5):
        mod = __import__(f"proj.model{i}", fromlist=["x"])
        model = getattr(mod, f"Model{i}")()
        torch.save(model.state_dict(), os.path.join(ckpt, f"model{i}.pt"))
        loads.append(f"from proj.model{i} import Model{i}")
    loads.append("")
    for i in range(5):
        loads.append(f"m{i} = Model{i}()")
        loads.append(f'm{i}.load_state_dict(torch.load("ckpt/model{i}.pt", map_location="cpu"))')
    with open(os.path.join(src, "load.py"), "w") as f:
        f.write("\n".join(loads) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/bench/project")
