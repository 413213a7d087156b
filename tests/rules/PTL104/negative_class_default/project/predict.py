import torch

model = torch.load("ckpt/net.pt")
