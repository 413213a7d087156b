import torch

model = torch.load("ckpt/whole.pt", weights_only=False)
model.eval()
