import torch

from config import GPTConfig
from model import GPT

model = GPT(GPTConfig())
model.load_state_dict(torch.load("ckpt/model.pt"))
model.eval()
