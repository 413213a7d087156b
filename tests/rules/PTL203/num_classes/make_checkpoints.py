# Trained with 5 classes; load.py builds the default 10-class head.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net(num_classes=5).state_dict(), "ckpt/model.pt")
