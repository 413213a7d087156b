# Two DataParallel state dicts (every key `module.`-prefixed), each loaded by
# a script that strips the prefix with str.replace, the way most projects do:
# in a dict comprehension, and in the forum loop with a count. Real torch
# loads both.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
for name in ("comprehension", "loop"):
    torch.save(torch.nn.DataParallel(Net()).state_dict(), f"ckpt/{name}.pt")
for script in ("load_comprehension", "load_loop"):
    __import__(script)  # each must load with real torch
