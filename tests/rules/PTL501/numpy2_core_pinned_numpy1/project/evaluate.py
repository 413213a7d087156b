import torch

stats = torch.load("ckpt/stats.pt")
