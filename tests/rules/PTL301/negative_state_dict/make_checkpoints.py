# The state dict is saved: load_state_dict(torch.load(p)) is right.
import os, sys
import torch
sys.path.insert(0, ".")
from models.simple import SimpleModel
os.makedirs("ckpt", exist_ok=True)
torch.save(SimpleModel(10, 5).state_dict(), "ckpt/model.pt")
