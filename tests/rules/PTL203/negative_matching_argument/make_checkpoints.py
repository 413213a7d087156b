# Trained with 5 classes and loaded into a 5-class Net: the shapes agree.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net(num_classes=5).state_dict(), "ckpt/model.pt")
Net(num_classes=5).load_state_dict(torch.load("ckpt/model.pt"))
