import torch

from models import Net

model = Net()
checkpoint = torch.load("ckpt/model.pt")
model.load_state_dict(checkpoint["model"])
