import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attention = nn.Linear(d, d)  # expect: PTL204 `layers.N.attn` in the checkpoints is `layers.N.attention` in Net: 2 keys per instance align by name and shape (`weight` and `bias`) (12 layers × 2 checkpoints)
        self.mlp = nn.Linear(d, d)

    def forward(self, x):
        return self.mlp(self.attention(x))


class Net(nn.Module):
    def __init__(self, d=8, n_layers=12):
        super().__init__()
        self.layers = nn.ModuleList([Block(d) for _ in range(n_layers)])
        self.head = nn.Linear(d, 4)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(x)
