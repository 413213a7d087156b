import torch

import checkpoint_utils
from models import Net

model = Net()
sd = torch.load("ckpt/module_attr.pt", map_location="cpu")
sd = checkpoint_utils.strip_module_copy(sd)
model.load_state_dict(sd)
