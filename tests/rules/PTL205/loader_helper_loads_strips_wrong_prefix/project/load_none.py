import torch

from models import Net


def load_weights(path):
    return torch.load(path, map_location="cpu")


model = Net()
model.load_state_dict(load_weights("ckpt/none.pt"))  # expect: PTL205 every key in ckpt/none.pt starts with `module.`
