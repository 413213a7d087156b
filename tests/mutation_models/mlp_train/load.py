import torch

from net import MLP

model = MLP(8, 16, 4)
model.load_state_dict(torch.load("ckpt/model.pt"))
model.eval()
