# A DataParallel state dict (every key `module.`-prefixed) loaded by a helper
# that loads the file itself and returns the keys stripped
# (`model.load_state_dict(load_weights("ckpt/model.pt"))`). Real torch loads it.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/model.pt")
import load  # must load with real torch
