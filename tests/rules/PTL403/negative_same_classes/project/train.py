import torch

from models import Net

ckpt = torch.load("ckpt/last.pt")
model = Net(num_classes=5)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
optimizer.load_state_dict(ckpt["optimizer"])
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
