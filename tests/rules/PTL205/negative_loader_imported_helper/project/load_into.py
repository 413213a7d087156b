import utils.ckpt as ckpt
from models import Net

ckpt.load_checkpoint(Net(), "ckpt/into.pt")
