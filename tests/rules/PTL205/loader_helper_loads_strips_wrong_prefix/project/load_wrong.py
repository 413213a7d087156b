import torch

from models import Net


def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    # Written for checkpoints wrapped as `model.`.
    return {k.removeprefix("model."): v for k, v in sd.items()}


model = Net()
model.load_state_dict(load_weights("ckpt/wrong.pt"))  # expect: PTL205 every key in ckpt/wrong.pt starts with `module.`
