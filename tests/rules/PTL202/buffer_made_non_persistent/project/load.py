import torch

from models import Encoder

model = Encoder()
model.load_state_dict(torch.load("ckpt/model.pt"))
