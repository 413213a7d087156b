import torch

from models import Net

model = Net()
state_dict = torch.load("ckpt/model.pt", map_location="cpu")
# Written for checkpoints wrapped as `model.`.
state_dict = {k.replace("model.", ""): v for k, v in state_dict.items()}
model.load_state_dict(state_dict)  # expect: PTL205 every key in ckpt/model.pt starts with `module.`
