# A Lightning checkpoint of LitModel(hidden=64, classes=3) (hidden is not the
# default 32), written in Lightning's layout (tests/lightning_checkpoint.py).
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))  # tests/
import lightning_checkpoint  # noqa: E402


class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc = nn.Linear(4, hidden)


class LitModel(nn.Module):  # the project's LightningModule registers this state
    def __init__(self, hidden=32, classes=3):
        super().__init__()
        self.model = Net(hidden)
        self.head = nn.Linear(hidden, classes)


os.makedirs("ckpt", exist_ok=True)
lightning_checkpoint.save(LitModel(hidden=64, classes=3), {"hidden": 64, "classes": 3}, "ckpt/last.ckpt")
