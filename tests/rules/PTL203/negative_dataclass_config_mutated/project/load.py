import torch

from config import Config
from model import Net

# The config is changed after it is built: its defaults (width 32) are not
# what the model gets (16, as the checkpoint was trained), so nothing is said.
config = Config()
config.width = 16
model = Net(config)
model.load_state_dict(torch.load("ckpt/model.pt"))
