# Saved with bias on; the loader decides `bias` at run time, so neither
# presence nor absence of `scale.bias` is an error.
import os
import sys

import torch

sys.path.insert(0, os.getcwd())
from models import Net  # noqa: E402

os.makedirs("ckpt", exist_ok=True)
torch.save(Net(n=8, bias=True).state_dict(), "ckpt/model.pt")
