# DataParallel state dicts (every key `module.`-prefixed) loaded by helpers
# that load the file themselves: one strips `model.` from the keys it returns
# (ckpt/wrong.pt), one returns the loaded dict as it is (ckpt/none.pt). Real
# torch fails on both with Missing/Unexpected keys.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/wrong.pt")
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/none.pt")
for script in ("load_wrong", "load_none"):
    try:
        __import__(script)
    except RuntimeError as e:
        assert "Missing key(s)" in str(e) and 'Unexpected key(s) in state_dict: "module.' in str(e), e
    else:
        raise AssertionError(f"{script} loaded")
