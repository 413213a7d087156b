import torch

from models import Net

model = Net()
checkpoint = torch.load("ckpt/model.pt")  # expect: PTL303 refuses ckpt/model.pt: it needs `argparse.Namespace at ['args']`
model.load_state_dict(checkpoint["model"])
