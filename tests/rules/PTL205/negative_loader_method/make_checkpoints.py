# DataParallel state dicts (every key `module.`-prefixed), each loaded by a
# script that strips the prefix in a method of its own class: `self._fix_keys(sd)`
# (a method), `Trainer.clean(sd)` (a @staticmethod, through the class),
# `self.strip(sd)` (a @classmethod, through the instance), and
# `checkpoint_utils.strip_module_copy(sd)` through an imported project module.
# Real torch loads all four.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
for name in ("method", "static", "classmethod", "module_attr"):
    torch.save(torch.nn.DataParallel(Net()).state_dict(), f"ckpt/{name}.pt")
for script in ("load_method", "load_static", "load_classmethod", "load_module_attr"):
    __import__(script)  # each must load with real torch
