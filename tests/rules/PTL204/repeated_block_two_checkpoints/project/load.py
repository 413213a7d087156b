import torch

from models import Net

model = Net()
model.load_state_dict(torch.load("ckpt/pretrained.pt"))

finetuned = Net()
finetuned.load_state_dict(torch.load("ckpt/finetuned.pt"))
