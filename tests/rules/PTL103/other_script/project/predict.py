import torch

model = torch.load("ckpt/net.pt")  # expect: PTL103 the checkpoint pickles `__main__.Net`
model.eval()
