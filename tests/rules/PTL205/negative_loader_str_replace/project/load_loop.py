from collections import OrderedDict

import torch

from models import Net

model = Net()
state_dict = torch.load("ckpt/loop.pt", map_location="cpu")
new_state_dict = OrderedDict()
for k, v in state_dict.items():
    name = k.replace("module.", "", 1)
    new_state_dict[name] = v
model.load_state_dict(new_state_dict)
