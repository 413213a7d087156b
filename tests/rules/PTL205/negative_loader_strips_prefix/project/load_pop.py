import torch

from models import Net

model = Net()
sd = torch.load("ckpt/pop.pt", map_location="cpu")
for key in list(sd.keys()):
    sd[key.replace("module.", "", 1)] = sd.pop(key)
model.load_state_dict(sd)
