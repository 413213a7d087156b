import torch

from models import Net

path = "hub/models--demo--net/snapshots/abc123/pytorch_model.bin"
model = Net()
checkpoint = torch.load(path)  # expect: PTL303 refuses hub/models--demo--net/snapshots/abc123/pytorch_model.bin: it needs `argparse.Namespace at ['args']`
model.load_state_dict(checkpoint["model"])
