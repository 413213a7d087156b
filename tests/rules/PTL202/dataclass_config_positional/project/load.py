import torch

from config import Config
from model import Net

# Positional dataclass arguments: bias=False now, the checkpoint has embed.bias.
model = Net(Config(32, 2, False))
model.load_state_dict(torch.load("ckpt/model.pt"))
