import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, in_dim, hidden, out_dim, depth=2, norm=True):
        super().__init__()
        self.layers = nn.ModuleList()
        d = in_dim
        for _ in range(depth):
            self.layers.append(nn.Linear(d, hidden))
            d = hidden
        self.norm = nn.LayerNorm(hidden) if norm else nn.Identity()
        self.head = nn.Linear(hidden, out_dim)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.head(self.norm(x))
