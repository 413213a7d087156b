import torch

from encoder import Encoder

model = Encoder(16, hidden=32)
model.load_state_dict(torch.load("ckpt/model.pt"))
model.eval()
