import torch
import torch.nn as nn


class ScaleNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.weight


class Block(nn.Module):  # expect: PTL202 (under `self.fc` of Block)
    def __init__(self, dim):
        super().__init__()
        self.norm = ScaleNorm(dim)

    def forward(self, x):
        return self.norm(x)


class Net(nn.Module):
    def __init__(self, dim=8, depth=2):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x
