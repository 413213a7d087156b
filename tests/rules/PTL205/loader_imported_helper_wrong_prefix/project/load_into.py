from models import Net
from utils.ckpt import load_checkpoint

load_checkpoint(Net(), "ckpt/into.pt")  # expect: PTL205 every key in ckpt/into.pt starts with `module.`
