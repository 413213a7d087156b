import torch

from checkpoint_utils import strip_prefix
from models import Net

model = Net()
ckpt = torch.load("ckpt/wrong.pt", map_location="cpu")
model.load_state_dict(strip_prefix(ckpt["model"]))  # expect: PTL205 every key in ckpt/wrong.pt starts with `module.`
