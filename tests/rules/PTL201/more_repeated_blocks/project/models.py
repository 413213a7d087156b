import torch
import torch.nn as nn


class ScaleNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.weight


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = ScaleNorm(dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(self.norm(x))


class Net(nn.Module):
    def __init__(self, dim=8, depth=4):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])  # expect: PTL201 `blocks.2.norm.weight`

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x
