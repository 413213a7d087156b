# Saved while the optional projection was still called `proj` (both of its
# assignments renamed since). The rename is reported where the attribute is
# first set in the block, `self.shortcut = None`, as a top-level rename is,
# not on the conditional line that builds it.
import os, sys
import torch
sys.path.insert(0, ".")
import models

m = models.Net()
sd = {k.replace(".shortcut.", ".proj."): v for k, v in m.state_dict().items()}
os.makedirs("ckpt", exist_ok=True)
torch.save(sd, "ckpt/model.pt")
try:
    models.Net().load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("expected missing and unexpected keys")
except RuntimeError as e:
    assert '"blocks.0.shortcut.0.weight"' in str(e) and '"blocks.0.proj.1.num_batches_tracked"' in str(e), e
