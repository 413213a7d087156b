# Trained with 5 classes; train.py resumes the optimizer with a 10-class head:
# same parameter count, other shapes.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

torch.manual_seed(0)
model = Net(num_classes=5)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, "ckpt/last.pt")
