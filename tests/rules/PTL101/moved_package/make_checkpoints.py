# A whole pickled model saved when the package root was yolo/ (`models.yolo.Model`);
# the project now imports it as yolo.models.yolo.Model.
import os, sys
import torch
sys.path.insert(0, "yolo")
from models.yolo import Model
os.makedirs("ckpt", exist_ok=True)
torch.save(Model(), "ckpt/yolo.pt")
