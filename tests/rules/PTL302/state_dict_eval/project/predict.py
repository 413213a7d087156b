import torch

model = torch.load("ckpt/model.pt")
model.eval()
