# A whole Net pickled by older code: no `self.scale` yet, and an Upsample
# from a torch before 1.11 (no `recompute_scale_factor` in its __dict__).
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
net = models.Net()
del net.up.__dict__["recompute_scale_factor"]
os.makedirs("ckpt", exist_ok=True)
torch.save(net, "ckpt/net.pt")
