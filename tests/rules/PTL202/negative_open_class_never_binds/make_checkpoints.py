# Saved from a model this project does not define: the file stays unbound
# (it must not be bound to Getter, nor judged against it).
import os
import torch
import torch.nn as nn


class Elsewhere(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3))
        self.decoder = nn.Linear(8, 3)


os.makedirs("ckpt", exist_ok=True)
torch.save(Elsewhere().state_dict(), "ckpt/elsewhere.pt")
