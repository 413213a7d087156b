import torch

from config import Config
from model import Net

# Trained with width=16; the dataclass default is now 32 (depth is a
# `field(default=2)`: two blocks, each checked).
model = Net(Config())
model.load_state_dict(torch.load("ckpt/model.pt"))
