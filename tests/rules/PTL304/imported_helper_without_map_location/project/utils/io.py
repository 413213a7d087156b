import torch


def read_state(path):
    return torch.load(path)


def read_default():
    return torch.load("ckpt/default.pt")  # expect: PTL304 `torch.load` without `map_location` reads ckpt/default.pt
