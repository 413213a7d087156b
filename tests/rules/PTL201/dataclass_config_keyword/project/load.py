import torch

from config import Config
from model import Net

# A keyword override of a dataclass config: three blocks, the checkpoint has two.
model = Net(Config(width=16, depth=3))
model.load_state_dict(torch.load("ckpt/model.pt"))
