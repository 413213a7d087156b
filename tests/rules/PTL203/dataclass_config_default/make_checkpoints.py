# Saved when Config.width defaulted to 16.
import os, sys
import torch
sys.path.insert(0, ".")
from config import Config
from model import Net

os.makedirs("ckpt", exist_ok=True)

torch.save(Net(Config(width=16)).state_dict(), "ckpt/model.pt")
