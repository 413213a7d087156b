import torch

from unet import UNet

model = UNet(3, 2)
model.load_state_dict(torch.load("ckpt/model.pt"))
model.eval()
