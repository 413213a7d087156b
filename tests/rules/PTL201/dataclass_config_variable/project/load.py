import torch

from config import Config
from model import Net

# The config is built from literals into a variable, then passed on.
config = Config(width=16, depth=3)
model = Net(config)
model.load_state_dict(torch.load("ckpt/model.pt"))
