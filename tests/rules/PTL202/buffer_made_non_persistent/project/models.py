import torch
import torch.nn as nn


class Normalizer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim), persistent=False)  # expect: PTL202 registered here with persistent=False
        self.register_buffer("std", torch.ones(dim))

    def forward(self, x):
        return (x - self.mean) / self.std


class Encoder(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.norms = nn.ModuleList([Normalizer(dim) for _ in range(2)])
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        for norm in self.norms:
            x = norm(x)
        return self.proj(x)
