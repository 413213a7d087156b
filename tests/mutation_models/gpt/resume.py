import torch

from config import GPTConfig
from model import GPT

model = GPT(GPTConfig())
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model"])
optimizer.load_state_dict(ckpt["optimizer"])
start_epoch = ckpt["epoch"] + 1
loss = sum((p.float() ** 2).sum() for p in model.parameters())
loss.backward()
optimizer.step()
