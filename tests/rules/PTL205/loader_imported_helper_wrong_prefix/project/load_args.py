import argparse

from models import Net
from utils.ckpt import load_checkpoint

parser = argparse.ArgumentParser()
parser.add_argument("--ckpt", default="ckpt/args.pt")
args = parser.parse_args()
m = Net()
load_checkpoint(m, args.ckpt)  # expect: PTL205 every key in ckpt/args.pt starts with `module.`
