import torch

from models import MLP

model = MLP()
model.load_state_dict(torch.load("ckpt/model.pt"))
