# A DataParallel state dict (every key `module.`-prefixed) loaded by a script
# whose str.replace strips `model.`, leaving `module.` on. Real torch fails
# with Missing/Unexpected keys.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/model.pt")
try:
    import load
except RuntimeError as e:
    assert "Missing key(s)" in str(e) and 'Unexpected key(s) in state_dict: "module.' in str(e), e
else:
    raise AssertionError("load.py loaded")
