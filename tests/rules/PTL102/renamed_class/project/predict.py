import torch

net = torch.load("ckpt/tiny.pt")
