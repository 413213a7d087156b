# A training checkpoint: the state dict sits under "model_state_dict".
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
os.makedirs("ckpt", exist_ok=True)
torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": 0.25}, "ckpt/model.pt")
