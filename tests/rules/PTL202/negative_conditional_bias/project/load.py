import argparse

import torch

from models import Net

parser = argparse.ArgumentParser()
parser.add_argument("--no-bias", action="store_true")
args = parser.parse_args()

# `bias` is only known at run time: the key `scale.bias` may or may not be there.
model = Net(n=8, bias=not args.no_bias)
model.load_state_dict(torch.load("ckpt/model.pt"))
