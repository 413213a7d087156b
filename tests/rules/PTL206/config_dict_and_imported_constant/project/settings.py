import os

CKPT_DIR = "ckpt"
CONFIG = {"model": {"checkpoint": os.path.join(CKPT_DIR, "model.pt")}, "lr": 0.1}
