# torch.save with pickle protocol 4: STACK_GLOBAL with constant string operands.
import os, sys
import pickletools
import zipfile
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt", pickle_protocol=4)
with zipfile.ZipFile("ckpt/model.pt") as z:
    pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
assert any(op.name == "STACK_GLOBAL" for op, _, _ in pickletools.genops(pkl))
