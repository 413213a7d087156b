import torch

from models.simple import SimpleModel

model = SimpleModel(10, 5)
model.load_state_dict(torch.load("ckpt/model.pt"))
