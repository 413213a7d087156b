import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        # Persistent buffer: its key in the file is expected, not extra.
        self.register_buffer("class_weights", torch.ones(4))

    def forward(self, x):
        return self.layers(x) * self.class_weights
