import torch

from models import Net

model = Net()
state_dict = torch.load("ckpt/comprehension.pt", map_location="cpu")
state_dict = {k.replace("module.", ""): v for k, v in state_dict.items()}
model.load_state_dict(state_dict)
