# Saved when the block's hidden width was 2 * d; the layer count is an
# argument the source does not fix (a pattern `h.*.fc.weight`).
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, ".")
import models

class OldBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(2 * d, d)

m = models.GPT(2)
m.h = nn.ModuleList([OldBlock(8) for _ in range(2)])
os.makedirs("ckpt", exist_ok=True)
torch.save(m.state_dict(), "ckpt/gpt.pt")
try:
    models.GPT(2).load_state_dict(torch.load("ckpt/gpt.pt"))
    raise SystemExit("expected a size mismatch")
except RuntimeError as e:
    assert "size mismatch for h.0.fc.weight" in str(e), e
