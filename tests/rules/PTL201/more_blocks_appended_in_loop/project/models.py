import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, dim=8, depth=4):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(depth):  # expect: PTL201 `layers.2.weight`, `layers.2.bias`, `layers.3.weight` and `layers.3.bias`
            self.layers.append(nn.Linear(dim, dim))
        self.head = nn.Linear(dim, 1)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.head(x)
