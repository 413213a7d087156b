# A training checkpoint saved when TrainConfig lived in configs/__init__.py:
# the pickle names it `configs.TrainConfig`. Today it is defined in
# configs/train.py and re-exported, so its own __module__ is configs.train;
# setting __module__ back reproduces the old save byte for byte.
import os, sys
import torch
sys.path.insert(0, ".")
import configs
from models import Net

configs.TrainConfig.__module__ = "configs"
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": Net().state_dict(), "config": configs.TrainConfig(lr=0.1)}, "ckpt/model.pt")
