import torch

model = torch.load("ckpt/yolo.pt")
