import torch

state = torch.load(
    "ckpt/gpu.pt",
)
