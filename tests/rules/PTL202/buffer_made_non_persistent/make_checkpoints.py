# Saved when `mean` was a persistent buffer; today's code registers it with
# persistent=False, so state_dict() leaves it out and the saved ones (one per
# Normalizer in the ModuleList) are unexpected: one finding on that line.
import os
import torch
import torch.nn as nn


class Normalizer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))


class Encoder(nn.Module):
    def __init__(self, dim=8):
        super().__init__()
        self.norms = nn.ModuleList([Normalizer(dim) for _ in range(2)])
        self.proj = nn.Linear(dim, dim)


os.makedirs("ckpt", exist_ok=True)
torch.save(Encoder().state_dict(), "ckpt/model.pt")
