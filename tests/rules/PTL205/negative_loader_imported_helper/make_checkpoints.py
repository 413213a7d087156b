# DataParallel state dicts (every key `module.`-prefixed) loaded through
# helpers defined in another module (utils/ckpt.py) that strip the prefix:
# one returns the keys rewritten with k.replace("module.", "")
# (ckpt/weights.pt), one strips ["state_dict"] in place and loads it into the
# model it is given (ckpt/into.pt). Real torch loads both.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/weights.pt")
torch.save({"state_dict": torch.nn.DataParallel(Net()).state_dict()}, "ckpt/into.pt")
import load_weights  # must load with real torch
import load_into  # must load with real torch
