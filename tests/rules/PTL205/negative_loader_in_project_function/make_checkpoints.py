# DataParallel state dicts (every key `module.`-prefixed), each loaded by a
# script that strips the prefix in a project function: in place
# (strip_module(sd)), into a new dict it returns (sd = strip_module_copy(sd)),
# and by a comprehension over a wrapper dict's entry (fix_keys(ckpt["model"])).
# Real torch loads all three.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
for name in ("in_place", "returned"):
    torch.save(torch.nn.DataParallel(Net()).state_dict(), f"ckpt/{name}.pt")
torch.save({"model": torch.nn.DataParallel(Net()).state_dict(), "epoch": 3}, "ckpt/entry.pt")
for script in ("load_in_place", "load_returned", "load_entry"):
    __import__(script)  # each must load with real torch
