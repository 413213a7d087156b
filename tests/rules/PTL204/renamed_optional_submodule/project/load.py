import torch

from models import Net

model = Net()
model.load_state_dict(torch.load("ckpt/model.pt"))
