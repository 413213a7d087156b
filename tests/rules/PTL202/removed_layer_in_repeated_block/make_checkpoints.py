# Saved when each Block also had `self.fc`; it was removed. The finding goes
# on Block (whose __init__ no longer creates it), not on ScaleNorm.
import os
import torch
import torch.nn as nn


class ScaleNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = ScaleNorm(dim)
        self.fc = nn.Linear(dim, dim)


class Net(nn.Module):
    def __init__(self, dim=8, depth=2):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])


os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt")
