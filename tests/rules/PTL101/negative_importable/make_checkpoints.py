# The same model saved under the name the project imports today.
import os, sys
import torch
sys.path.insert(0, ".")
from yolo.models.yolo import Model
os.makedirs("ckpt", exist_ok=True)
torch.save(Model(), "ckpt/yolo.pt")
