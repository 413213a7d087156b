import torch
from torch import optim

from models import Net

model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)  # expect: PTL402 `optim.SGD(...)` loads an optimizer state saved by Adam/AdamW
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model_state_dict"])
optimizer.load_state_dict(ckpt["optimizer_state_dict"])
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
