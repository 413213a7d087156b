import sys

import torch

from config import Config
from model import Net

# The width comes from the command line: the construction is not known, so
# the default (32) says nothing about this checkpoint (trained with 16).
model = Net(Config(width=int(sys.argv[1])))
model.load_state_dict(torch.load("ckpt/model.pt"))
