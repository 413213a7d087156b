import torch

net = torch.load("ckpt/tiny.pt")  # expect: PTL102 the checkpoint pickles `models.TinyNet`
