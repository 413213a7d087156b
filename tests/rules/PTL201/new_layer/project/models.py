import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)
        self.head = nn.Linear(4, 2)  # added after ckpt/model.pt was saved  # expect: PTL201 `head.weight` and `head.bias` are registered by Net but missing from ckpt/model.pt

    def forward(self, x):
        return self.head(self.fc2(self.fc1(x)))
