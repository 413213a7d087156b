import torch

from models import build

model = build()
model.load_state_dict(torch.load("ckpt/model.pt"))
