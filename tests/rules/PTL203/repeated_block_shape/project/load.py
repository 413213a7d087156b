import sys

import torch

from models import GPT

n_layer = int(sys.argv[1])
model = GPT(n_layer)
model.load_state_dict(torch.load("ckpt/gpt.pt"))
