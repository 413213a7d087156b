import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, 4 * d)  # expect: PTL203 size mismatch for h.N.fc.weight: the checkpoint has [16, 8], GPT builds [32, 8] (dimension 0 from `d`) (2 instances of `h`) # expect: PTL203 size mismatch for h.N.fc.bias: the checkpoint has [16], GPT builds [32] (dimension 0 from `d`) (2 instances of `h`)
        self.proj = nn.Linear(4 * d, d)  # expect: PTL203 size mismatch for h.N.proj.weight: the checkpoint has [8, 16], GPT builds [8, 32] (dimension 1 from `d`) (2 instances of `h`)


class GPT(nn.Module):
    def __init__(self, n_layer, d=8):
        super().__init__()
        self.h = nn.ModuleList([Block(d) for _ in range(n_layer)])
