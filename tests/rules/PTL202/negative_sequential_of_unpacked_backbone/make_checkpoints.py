# A state dict of the extractor as built today: extra.0 holds the backbone's
# tail (extra.0.1, extra.0.3, extra.0.5, ...) before `fc`.
import os, sys
import torch
sys.path.insert(0, ".")
from models import build

os.makedirs("ckpt", exist_ok=True)
torch.save(build().state_dict(), "ckpt/model.pt")
import load  # real torch loads it
