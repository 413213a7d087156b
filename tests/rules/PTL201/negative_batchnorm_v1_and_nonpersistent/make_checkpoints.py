# A state dict from torch < 0.4.1: BatchNorm without num_batches_tracked and
# _metadata version 1, which torch fills in on load (so nothing is missing).
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

sd = Net().state_dict()
del sd["bn.num_batches_tracked"]
sd._metadata["bn"]["version"] = 1
os.makedirs("ckpt", exist_ok=True)
torch.save(sd, "ckpt/model.pt")
# Prove the near-miss really loads with today's class.
Net().load_state_dict(torch.load("ckpt/model.pt"))
