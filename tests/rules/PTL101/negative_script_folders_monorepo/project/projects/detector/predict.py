import torch

model = torch.load("detector.pt", weights_only=False)
