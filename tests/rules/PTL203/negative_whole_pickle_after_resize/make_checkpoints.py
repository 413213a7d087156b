# A whole ConvNet pickled before `Conv2d(3, 16, 3)` became `Conv2d(3, 16, 5)`
# and the head lost its bias (mutation oracle: cnn/literal-dim, toggle-bias).
# torch.load restores the pickled object; nothing matches its tensors with
# today's __init__, so the load and its forward still work: no drift error.
import os
import sys
import types

import torch

models = types.ModuleType("models")
exec(
    "import torch.nn as nn\n"
    "class ConvNet(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 16, 3)\n"
    "        self.head = nn.Linear(16, 10)\n"
    "    def forward(self, x):\n"
    "        return self.head(self.conv(x).mean((2, 3)))\n",
    models.__dict__,
)
sys.modules["models"] = models
torch.manual_seed(0)
os.makedirs("ckpt", exist_ok=True)
torch.save(models.ConvNet(), "ckpt/whole.pt")
