# Saved from nn.DataParallel(Net()); no script in the project loads it, so
# the binding is by structure, after stripping `module.`.
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(nn.DataParallel(Net()).state_dict(), "ckpt/dp.pt")
