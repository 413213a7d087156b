import torch

from models import DenseNet

model = DenseNet()
model.load_state_dict(torch.load("ckpt/model.pt"))
