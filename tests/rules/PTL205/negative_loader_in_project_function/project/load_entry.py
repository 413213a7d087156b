import torch

from checkpoint_utils import fix_keys
from models import Net

model = Net()
ckpt = torch.load("ckpt/entry.pt", map_location="cpu")
new_sd = fix_keys(ckpt["model"])
model.load_state_dict(new_sd)
