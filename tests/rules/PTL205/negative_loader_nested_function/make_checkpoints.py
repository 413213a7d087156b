# A DataParallel state dict (every key `module.`-prefixed) loaded by a
# function that strips the prefix in a function defined inside it
# (`def fix(sd): ...` then `sd = fix(sd)`). Real torch loads it.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/model.pt")
import load  # must load with real torch
