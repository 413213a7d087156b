import os, sys
import torch
sys.path.insert(0, ".")
from config import Config
from model import Net

os.makedirs("ckpt", exist_ok=True)

torch.save(Net(Config(32, 2, True)).state_dict(), "ckpt/model.pt")
