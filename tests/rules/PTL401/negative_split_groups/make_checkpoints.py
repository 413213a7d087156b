# Saved by today's code: backbone (4 parameters, BatchNorm buffers do not count) and head (2).
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

torch.manual_seed(0)
model = Net()
optimizer = torch.optim.SGD(
    [{"params": model.backbone.parameters()}, {"params": model.head.parameters(), "lr": 0.01}],
    lr=0.1, momentum=0.9)
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, "ckpt/last.pt")
