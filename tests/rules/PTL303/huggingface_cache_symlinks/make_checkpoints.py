# A Hugging Face cache as `huggingface_hub` lays it out: the file lives once
# under blobs/ by its hash, and each revision's snapshot names it through a
# relative symbolic link. A loop (`loop -> ..`) checks that the walk ends.
import argparse, hashlib, os, sys
import torch
sys.path.insert(0, ".")
from models import Net

repo = "hub/models--demo--net"
os.makedirs(repo + "/blobs", exist_ok=True)
os.makedirs(repo + "/refs", exist_ok=True)
tmp = repo + "/blobs/incoming"
torch.save({"model": Net().state_dict(), "args": argparse.Namespace(lr=0.1)}, tmp)
sha = hashlib.sha256(open(tmp, "rb").read()).hexdigest()
os.rename(tmp, repo + "/blobs/" + sha)
with open(repo + "/refs/main", "w") as f:
    f.write("abc123")
os.makedirs(repo + "/snapshots/abc123", exist_ok=True)
os.symlink("../../blobs/" + sha, repo + "/snapshots/abc123/pytorch_model.bin")
os.symlink("..", repo + "/snapshots/abc123/loop")
os.symlink("missing-blob", repo + "/snapshots/abc123/broken.txt")
