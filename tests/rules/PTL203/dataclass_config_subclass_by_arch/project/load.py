import torch

from models import net_b0

model = net_b0()
model.load_state_dict(torch.load("ckpt/model.pt"))
