import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, 4 * d)  # expect: PTL203 size mismatch for h.0.fc.weight # expect: PTL203 size mismatch for h.0.fc.bias # expect: PTL203 size mismatch for h.1.fc.weight # expect: PTL203 size mismatch for h.1.fc.bias
        self.proj = nn.Linear(4 * d, d)  # expect: PTL203 size mismatch for h.0.proj.weight # expect: PTL203 size mismatch for h.1.proj.weight


class GPT(nn.Module):
    def __init__(self, n_layer, d=8):
        super().__init__()
        self.h = nn.ModuleList([Block(d) for _ in range(n_layer)])
