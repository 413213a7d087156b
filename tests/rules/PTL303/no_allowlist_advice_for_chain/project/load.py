import torch

checkpoint = torch.load("ckpt/model.pt")  # expect: PTL303 refuses ckpt/model.pt
print(checkpoint["args"])
