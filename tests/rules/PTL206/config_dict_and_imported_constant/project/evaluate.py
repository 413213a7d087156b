import torch

import settings
from settings import CONFIG
from models import Net

model = Net().cuda()
model.load_state_dict(torch.load(CONFIG["model"]["checkpoint"], map_location="cpu"))  # expect: PTL206 model.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt

config = dict(checkpoint=settings.CONFIG["model"]["checkpoint"])
other = Net()
other.load_state_dict(torch.load(config.get("checkpoint"), map_location="cpu"))  # expect: PTL206 other.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt
