import torch

from models import Net


class Trainer:
    def _fix_keys(self, sd):
        return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in sd.items()}

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/method.pt", map_location="cpu")
        sd = self._fix_keys(sd)
        model.load_state_dict(sd)
        return model


Trainer().restore()
