import torch

state = torch.load("ckpt/new.pt")
