# The default zip format since torch 1.6.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt", _use_new_zipfile_serialization=True)
