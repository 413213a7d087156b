# The training loop put its bookkeeping into the state dict itself.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net

os.makedirs("ckpt", exist_ok=True)
sd = Net().state_dict()
sd["epoch"] = 7
sd["best_acc"] = 0.93
torch.save(sd, "ckpt/model.pt")
try:
    Net().load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("expected torch to refuse the extra entries")
except RuntimeError as e:
    assert 'Unexpected key(s) in state_dict: "epoch", "best_acc"' in str(e), e
