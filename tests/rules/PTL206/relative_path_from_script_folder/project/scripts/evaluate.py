import os
import sys

import torch

sys.path.insert(0, "..")
from models import Net

model = Net()
model.load_state_dict(torch.load("../ckpt/model.pt", map_location="cpu"))  # expect: PTL206 model.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt

again = Net()
again.load_state_dict(torch.load(os.path.join("..", "ckpt", "model.pt"), map_location="cpu"))  # expect: PTL206 again.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt
