import torch

from checkpoint_utils import to_cpu
from models import Net

model = Net()
sd = to_cpu(torch.load("ckpt/none.pt", map_location="cpu"))
model.load_state_dict(sd)  # expect: PTL205 every key in ckpt/none.pt starts with `module.`
