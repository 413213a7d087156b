# Seed article, example 3: the whole model is saved.
import os, sys
import torch
sys.path.insert(0, ".")
from models.simple import SimpleModel
os.makedirs("ckpt", exist_ok=True)
torch.save(SimpleModel(10, 5), "ckpt/model.pt")
