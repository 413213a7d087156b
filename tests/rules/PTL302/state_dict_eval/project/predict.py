import torch

model = torch.load("ckpt/model.pt")
model.eval()  # expect: PTL302 `model.eval()` treats `model` as a module
