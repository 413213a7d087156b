# Blocks added to a ModuleList with `+=` (ModuleList.__iadd__ is extend()),
# as torchvision's MaxVitBlock does: their keys are as real as appended ones.
import os
import sys

import torch

sys.path.insert(0, os.getcwd())
from models import Net  # noqa: E402

os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt")
