import torch
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

from models import Net

model = Net()
ckpt = torch.load("ckpt/consume.pt", map_location="cpu")
consume_prefix_in_state_dict_if_present(ckpt, "module.")
model.load_state_dict(ckpt)
