import torch

from models import build_model

model = build_model(3)
model.load_state_dict(torch.load("ckpt/model.pt"))
