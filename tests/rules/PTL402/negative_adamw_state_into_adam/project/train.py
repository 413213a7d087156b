import torch
from torch.optim import Adam

from models import Net

model = Net()
optimizer = Adam(model.parameters(), lr=1e-3)
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model_state_dict"])
optimizer.load_state_dict(ckpt["optimizer_state_dict"])
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
