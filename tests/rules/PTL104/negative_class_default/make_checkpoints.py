# A whole Net pickled by older code (no `self.scale` yet) with a current
# Upsample; today's class has a class-level `scale` default, so it loads and runs.
import os, sys, types
import torch

models = types.ModuleType("models")
exec(
    "import torch.nn as nn\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, 2)\n"
    "        self.up = nn.Upsample(scale_factor=2)\n",
    models.__dict__,
)
sys.modules["models"] = models
os.makedirs("ckpt", exist_ok=True)
torch.save(models.Net(), "ckpt/net.pt")
