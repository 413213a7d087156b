# Three DataParallel state dicts (every key `module.`-prefixed), each loaded
# by a script that strips the prefix the way real projects do: the loop into
# an OrderedDict, consume_prefix_in_state_dict_if_present, and a pop/re-insert
# loop ptlint does not follow. Real torch loads all three.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
for name in ("loop", "consume", "pop"):
    torch.save(torch.nn.DataParallel(Net()).state_dict(), f"ckpt/{name}.pt")
for script in ("load_loop", "load_consume", "load_pop"):
    __import__(script)  # each must load with real torch
