# The old Block called its attention layer `attn`; two checkpoints of the
# same 12-layer Net were saved then (issue 13: one cause, 24 findings).
import os
import sys
import torch
import torch.nn as nn
sys.path.insert(0, ".")
import models


class OldBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attn = nn.Linear(d, d)
        self.mlp = nn.Linear(d, d)


os.makedirs("ckpt", exist_ok=True)
for name, seed in (("pretrained", 0), ("finetuned", 1)):
    torch.manual_seed(seed)
    m = models.Net()
    m.layers = nn.ModuleList([OldBlock(8) for _ in range(12)])
    torch.save(m.state_dict(), "ckpt/%s.pt" % name)
try:
    models.Net().load_state_dict(torch.load("ckpt/pretrained.pt"))
    raise SystemExit("expected missing keys")
except RuntimeError as e:
    assert "layers.11.attention.weight" in str(e), e
