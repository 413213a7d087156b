import torch

from models import Net

model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect: PTL401 parameter group 0 of the optimizer state in ckpt/last.pt
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model"], strict=False)
optimizer.load_state_dict(ckpt["optimizer"])
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
