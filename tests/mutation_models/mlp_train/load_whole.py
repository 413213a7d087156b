import torch

model = torch.load("ckpt/whole.pt", weights_only=False)
model.eval()
with torch.no_grad():
    out = model(torch.randn(3, 8))
