# Saved from net_small() (block counts [1, 2]); Net()'s defaults are (3, 3).
import os, sys
import torch
sys.path.insert(0, ".")
from models import net_small

os.makedirs("ckpt", exist_ok=True)
torch.save(net_small().state_dict(), "ckpt/small.pt")
net_small().load_state_dict(torch.load("ckpt/small.pt"))
