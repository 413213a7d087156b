import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16))  # expect: PTL204 `enc` in ckpt/model.pt is `encoder` in Net
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.encoder(x))
