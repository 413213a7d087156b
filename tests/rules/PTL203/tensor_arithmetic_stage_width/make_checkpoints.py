# Trained with w_m=2.1: the same stage depths [1, 2, 3], the last stage 72
# wide instead of 64.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
torch.save(Net(w_m=2.1).state_dict(), "ckpt/model.pt")
try:
    Net().load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("expected a size mismatch")
except RuntimeError as e:
    assert "size mismatch for stages.2.0.weight" in str(e), e
