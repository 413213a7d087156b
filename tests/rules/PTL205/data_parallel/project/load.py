import torch

from models import Net

model = Net()
model.load_state_dict(torch.load("ckpt/model.pt"))  # expect: PTL205 every key in ckpt/model.pt starts with `module.`
