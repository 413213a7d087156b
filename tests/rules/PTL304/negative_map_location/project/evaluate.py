import torch

state = torch.load("ckpt/gpu.pt", map_location="cpu")
