import torch.nn as nn


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Linear(8, 16)
        self.fc = nn.Linear(16, num_classes)  # expect: PTL403 optimizer state for parameter 2 # expect: PTL403 optimizer state for parameter 3

    def forward(self, x):
        return self.fc(self.body(x).relu())
