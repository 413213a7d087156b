from collections import OrderedDict

import torch

from models import Net


class Trainer:
    def _fix_keys(self, sd):
        # Written for checkpoints wrapped as `model.`: a DataParallel one keeps `module.`.
        return {(k[len("model."):] if k.startswith("model.") else k): v for k, v in sd.items()}

    @staticmethod
    def clean(sd):
        # Copies every tensor, strips nothing.
        new = OrderedDict()
        for k, v in sd.items():
            new[k] = v
        return new

    def restore_wrong(self):
        model = Net()
        sd = torch.load("ckpt/wrong.pt", map_location="cpu")
        sd = self._fix_keys(sd)
        model.load_state_dict(sd)  # expect: PTL205 every key in ckpt/wrong.pt starts with `module.`
        return model

    def restore_none(self):
        model = Net()
        sd = torch.load("ckpt/none.pt", map_location="cpu")
        model.load_state_dict(Trainer.clean(sd))  # expect: PTL205 every key in ckpt/none.pt starts with `module.`
        return model
