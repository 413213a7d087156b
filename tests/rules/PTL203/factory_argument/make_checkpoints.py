# Trained for 3 classes (6 outputs); load.py builds the model through the
# factory for 4 classes (8 outputs), so torch.load + load_state_dict fails.
# (Bound by structure instead, the default Net() would claim 10 outputs.)
import os, sys
import torch
sys.path.insert(0, ".")
from models import build_model

os.makedirs("ckpt", exist_ok=True)
torch.save(build_model(3).state_dict(), "ckpt/model.pt")
try:
    build_model(4).load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("expected a size mismatch")
except RuntimeError as e:
    assert "size mismatch for fc.weight" in str(e), e
