# Trained for 3 classes and loaded through the same factory call: the shapes
# agree (bound by structure, the default Net() would claim 10 outputs).
import os, sys
import torch
sys.path.insert(0, ".")
from models import build_model

os.makedirs("ckpt", exist_ok=True)
torch.save(build_model(3).state_dict(), "ckpt/model.pt")
build_model(3).load_state_dict(torch.load("ckpt/model.pt"))
