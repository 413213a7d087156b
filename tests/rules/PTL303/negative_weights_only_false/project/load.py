import torch

from models import Net

model = Net()
# Our own file: the full unpickler is asked for explicitly.
checkpoint = torch.load("ckpt/model.pt", weights_only=False)
model.load_state_dict(checkpoint["model"])
