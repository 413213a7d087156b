from collections import OrderedDict

import torch

from models import Net


class Trainer:
    @staticmethod
    def clean(sd):
        # Copies every tensor, strips nothing.
        new = OrderedDict()
        for k, v in sd.items():
            new[k] = v
        return new

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/none.pt", map_location="cpu")
        model.load_state_dict(Trainer.clean(sd))  # expect: PTL205 every key in ckpt/none.pt starts with `module.`
        return model


Trainer().restore()
