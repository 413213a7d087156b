# Saved when the second block's output was 32 channels wide; the block list
# (chosen by arch.startswith, built by a partial of a dataclass subclass with
# its own __init__, as torchvision's _efficientnet_conf) now says 24.
import os, sys
import torch
sys.path.insert(0, ".")
import models

os.makedirs("ckpt", exist_ok=True)
old = models.Net([models.BlockConfig(1, 8, 16), models.BlockConfig(6, 16, 32)])
torch.save(old.state_dict(), "ckpt/model.pt")
try:
    models.net_b0().load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("real torch loaded it: not a break")
except RuntimeError as e:
    assert "size mismatch for features.1.project.weight" in str(e), e
