import torch

from models import Net


def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


model = Net()
model.load_state_dict(load_weights("ckpt/model.pt"))
