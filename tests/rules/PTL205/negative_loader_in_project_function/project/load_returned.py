import torch

from checkpoint_utils import strip_module_copy
from models import Net

model = Net()
sd = torch.load("ckpt/returned.pt", map_location="cpu")
sd = strip_module_copy(sd)
model.load_state_dict(sd)
