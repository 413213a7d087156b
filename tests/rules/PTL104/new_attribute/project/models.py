import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.up = nn.Upsample(scale_factor=2)
        self.scale = 2.0  # expect: PTL104 today's `Net.__init__` sets `self.scale`

    def forward(self, x):
        return self.up(self.fc(x)) * self.scale
