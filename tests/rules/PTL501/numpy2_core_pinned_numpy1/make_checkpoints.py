# Simulates a file saved under numpy 2: numpy arrays pickle their class and
# reconstructor from `numpy._core.multiarray` (numpy 1 calls it
# `numpy.core.multiarray`). Debian's numpy is 1.x, so the module name is
# rewritten in a legacy-format file, whose pickles are self-delimiting.
import os
import numpy as np
import torch

os.makedirs("ckpt", exist_ok=True)
# The array comes first: legacy storage keys are memory addresses, whose
# length varies between runs, so nothing before the numpy global may hold one.
torch.save({"class_counts": np.array([3, 5]), "weight": torch.zeros(2)}, "ckpt/_np1.pt",
           _use_new_zipfile_serialization=False)
with open("ckpt/_np1.pt", "rb") as f:
    data = f.read()
assert b"numpy.core.multiarray" in data
with open("ckpt/stats.pt", "wb") as f:
    f.write(data.replace(b"numpy.core.multiarray", b"numpy._core.multiarray"))
os.remove("ckpt/_np1.pt")
