import torch

from models import Net

model = Net(num_classes=5)
model.load_state_dict(torch.load("ckpt/model.pt"))
