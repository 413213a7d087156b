# A FIFO named like a checkpoint beside a real one: reading it would block
# forever; it must be reported, and the real file still checked.
import os, sys
import torch
sys.path.insert(0, ".")
from models import Net
os.makedirs("ckpt", exist_ok=True)
torch.save(Net().state_dict(), "ckpt/model.pt")
os.mkfifo("ckpt/stream.pt")
