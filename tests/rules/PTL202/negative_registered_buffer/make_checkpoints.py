# Same class as today: a Sequential's numbered keys and a buffer are expected.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt")
Net().load_state_dict(torch.load("ckpt/model.pt"))
