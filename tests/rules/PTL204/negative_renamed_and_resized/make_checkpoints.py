# The old `enc` was 16 wide throughout; today's `encoder` is 32 wide, so no
# key under `enc` has the shape of its counterpart under `encoder`. Keys align
# by path but not by shape: a different layer, not a rename
# (PTL201/PTL202 report it, PTL204 must not).
import os
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16))
        self.head = nn.Linear(16, 4)


os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt")
