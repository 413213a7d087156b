import torch

state = torch.load(  # expect: PTL304 `torch.load` without `map_location` reads ckpt/gpu.pt
    "ckpt/gpu.pt",
)
