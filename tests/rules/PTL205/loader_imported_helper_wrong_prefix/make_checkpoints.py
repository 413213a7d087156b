# DataParallel state dicts (every key `module.`-prefixed) loaded through
# helpers defined in another module (utils/ckpt.py): one strips `model.` from
# the keys it returns (ckpt/wrong.pt), one returns the loaded dict as it is
# (ckpt/raw.pt, called as `ckpt.load_raw(...)`), and one loads
# ["state_dict"] into the model it is given (ckpt/into.pt with a literal
# path, ckpt/args.pt through argparse's default). Real torch fails on all four
# with Missing/Unexpected keys.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/wrong.pt")
torch.save(torch.nn.DataParallel(Net()).state_dict(), "ckpt/raw.pt")
torch.save({"state_dict": torch.nn.DataParallel(Net()).state_dict()}, "ckpt/into.pt")
torch.save({"state_dict": torch.nn.DataParallel(Net()).state_dict()}, "ckpt/args.pt")
for script in ("load_wrong", "load_raw", "load_into", "load_args"):
    try:
        __import__(script)
    except RuntimeError as e:
        assert "Missing key(s)" in str(e) and 'Unexpected key(s) in state_dict: "module.' in str(e), e
    else:
        raise AssertionError(f"{script} loaded")
