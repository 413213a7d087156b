# Three blocks: `blocks.1.*` and `blocks.2.*` are as legitimate as `blocks.0.*`.
import os
import sys

import torch

sys.path.insert(0, os.getcwd())
from models import Config, Net  # noqa: E402

os.makedirs("ckpt", exist_ok=True)
torch.save(Net(Config(), 3).state_dict(), "ckpt/model.pt")
