import sys

import torch

from models import Config, Net

depth = int(sys.argv[1])
model = Net(Config(), depth)
model.load_state_dict(torch.load("ckpt/model.pt"))
