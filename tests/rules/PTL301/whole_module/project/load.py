import torch

from models.simple import SimpleModel

model = SimpleModel(10, 5)
model.load_state_dict(torch.load("ckpt/model.pt"))  # expect: PTL301 `model.load_state_dict` is given what `torch.load` returns for ckpt/model.pt
