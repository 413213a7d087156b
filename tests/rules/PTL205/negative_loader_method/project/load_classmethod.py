from collections import OrderedDict

import torch

from models import Net


class Trainer:
    @classmethod
    def strip(cls, sd):
        new = OrderedDict()
        for k, v in sd.items():
            new[k[7:]] = v
        return new

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/classmethod.pt", map_location="cpu")
        model.load_state_dict(self.strip(sd))
        return model


Trainer().restore()
