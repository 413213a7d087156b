import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, dim=8, norm=False):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim) if norm else nn.Identity()  # expect: PTL202 the layer `norm` built here no longer creates them

    def forward(self, x):
        return self.norm(self.fc(x))
