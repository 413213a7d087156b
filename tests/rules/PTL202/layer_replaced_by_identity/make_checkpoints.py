# Saved when `norm` defaulted to True (a LayerNorm); today's default builds
# an Identity, which has no weights.
import os, sys
import torch
sys.path.insert(0, ".")
from models import MLP

os.makedirs("ckpt", exist_ok=True)
torch.save(MLP(norm=True).state_dict(), "ckpt/model.pt")
