import torch

from models import ConvNet

model = ConvNet()
model.load_state_dict(torch.load("ckpt/model.pt"))
