import argparse

import torch

from models import Net

parser = argparse.ArgumentParser()
parser.add_argument("--ckpt-path", type=str, default="ckpt/model.pt")
parser.add_argument("--device", default="cpu")
args = parser.parse_args()

model = Net().to(args.device)
model.load_state_dict(torch.load(args.ckpt_path, map_location="cpu"))  # expect: PTL206 model.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt
model.eval()
