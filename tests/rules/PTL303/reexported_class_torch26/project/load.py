import torch

from models import Net

model = Net()
# add_safe_globals([TrainConfig]) would allowlist configs.train.TrainConfig, not the configs.TrainConfig the file names:
checkpoint = torch.load("ckpt/model.pt")  # expect: PTL303 refuses ckpt/model.pt: it needs `configs.TrainConfig at ['config']`
model.load_state_dict(checkpoint["model"])
