import torch

model = torch.load("ckpt/whole.pt", weights_only=False)
model.eval()
with torch.no_grad():
    out = model(torch.randint(0, 50, (2, 5)))
