# Saved while the optional projection was still called `proj`, with no
# `_metadata` (a dict built by a comprehension). torch fills the new
# `shortcut.1.num_batches_tracked` itself (BatchNorm with no version 2), so
# the file's `proj.1.num_batches_tracked` has no missing partner; it is part of
# the rename (PTL204, which names it among the unexpected keys and whose fix
# renames it too), not a key Net "no longer registers" (PTL202).
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
