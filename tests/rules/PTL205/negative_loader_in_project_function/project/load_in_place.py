import torch

from checkpoint_utils import describe, strip_module
from models import Net

model = Net()
sd = torch.load("ckpt/in_place.pt", map_location="cpu")
describe(sd)
strip_module(sd)
model.load_state_dict(sd)
