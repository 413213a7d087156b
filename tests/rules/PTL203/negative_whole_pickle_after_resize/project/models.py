import torch.nn as nn


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 5)
        self.head = nn.Linear(16, 10, bias=False)

    def forward(self, x):
        return self.head(self.conv(x).mean((2, 3)))
