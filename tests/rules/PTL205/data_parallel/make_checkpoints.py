# Saved from nn.DataParallel(model).state_dict(): every key starts with `module.`.
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
sd = nn.DataParallel(Net()).state_dict()
assert all(k.startswith("module.") for k in sd)
torch.save(sd, "ckpt/model.pt")
