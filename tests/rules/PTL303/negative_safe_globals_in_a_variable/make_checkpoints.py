# A training checkpoint that pickles the argparse arguments.
import argparse, os, sys
import torch
sys.path.insert(0, ".")
from models import Net

args = argparse.Namespace(lr=0.1, epochs=3)
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": Net().state_dict(), "args": args}, "ckpt/model.pt")
