import torch

from models import Net

model = Net()
model.load_state_dict(torch.load("ckpt/model.pt"))  # expect: PTL206 model.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt
