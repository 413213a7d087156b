import torch

model = torch.load("ckpt/yolo.pt")  # expect: PTL101 the checkpoint pickles `models.yolo.Model` from module `models`
