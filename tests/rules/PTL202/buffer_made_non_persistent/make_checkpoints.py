# Saved when `mean` was a persistent buffer; today's code registers it with
# persistent=False, so state_dict() leaves it out and the saved one is unexpected.
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
        self.norm = Normalizer(dim)
        self.proj = nn.Linear(dim, dim)


os.makedirs("ckpt", exist_ok=True)
torch.save(Encoder().state_dict(), "ckpt/model.pt")
