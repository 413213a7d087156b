import torch

from models import Net

model = Net()
optimizer = torch.optim.SGD(
    [{"params": model.backbone.parameters()}, {"params": model.head.parameters(), "lr": 0.01}],
    lr=0.1, momentum=0.9)
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model"])
optimizer.load_state_dict(ckpt["optimizer"])
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
