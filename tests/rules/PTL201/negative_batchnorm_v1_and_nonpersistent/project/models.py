import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)
        self.bn = nn.BatchNorm1d(4)
        # Not persistent: never in a state dict, so never missing.
        self.register_buffer("scratch", torch.zeros(4), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)) + self.scratch
