# Saved before `nn.Identity()` was put first in the classifier: the conv built
# on its own line as `final_conv` moved from index 1 to 2. The finding goes on
# the argument that places it (its position is the new index), not on the line
# that builds the conv, which did not change.
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, ".")
import models

m = models.Net()
m.classifier = nn.Sequential(*list(m.classifier)[1:])
os.makedirs("ckpt", exist_ok=True)
torch.save(m.state_dict(), "ckpt/model.pt")
try:
    models.Net().load_state_dict(torch.load("ckpt/model.pt"))
    raise SystemExit("expected missing and unexpected keys")
except RuntimeError as e:
    assert '"classifier.2.weight"' in str(e) and '"classifier.1.weight"' in str(e), e
