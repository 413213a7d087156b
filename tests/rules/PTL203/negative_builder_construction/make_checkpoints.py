# Saved from the builder net_b() (version "b"); nothing in the project loads it.
import os, sys
import torch
sys.path.insert(0, ".")
from models import net_b

os.makedirs("ckpt", exist_ok=True)
torch.save(net_b().state_dict(), "ckpt/net_b.pt")
net_b().load_state_dict(torch.load("ckpt/net_b.pt"))  # it loads into what built it
