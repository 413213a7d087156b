import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.up = nn.Upsample(scale_factor=2)
        self.scale = 2.0

    def forward(self, x):
        return self.up(self.fc(x)) * self.scale
