# Trained with Adam; train.py now resumes with SGD.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
os.makedirs("ckpt", exist_ok=True)
torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict()}, "ckpt/last.pt")
