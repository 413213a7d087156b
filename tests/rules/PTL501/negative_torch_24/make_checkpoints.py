# Simulates a torch 2.x file: `_rebuild_tensor_v2` renamed `_rebuild_tensor_v3`
# (same length) in data.pkl, as research/experiments/rebuild_v3.py does.
import os, zipfile
import torch

os.makedirs("ckpt", exist_ok=True)
torch.manual_seed(0)
torch.save(torch.nn.Linear(3, 2).state_dict(), "ckpt/_v2.pt")
with zipfile.ZipFile("ckpt/_v2.pt") as zi, zipfile.ZipFile("ckpt/new.pt", "w") as zo:
    for info in zi.infolist():
        data = zi.read(info.filename)
        if info.filename.endswith("data.pkl"):
            assert b"_rebuild_tensor_v2" in data
            data = data.replace(b"_rebuild_tensor_v2", b"_rebuild_tensor_v3")
        zo.writestr(info, data)
os.remove("ckpt/_v2.pt")
