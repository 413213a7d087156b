import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # A real submodule called `model`: every key starts with `model.`,
        # which is also a wrapper prefix (LightningModule), but here it is expected.
        self.model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x):
        return self.model(x)
