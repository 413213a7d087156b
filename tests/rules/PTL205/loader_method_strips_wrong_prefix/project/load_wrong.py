import torch

from models import Net


class Trainer:
    def _fix_keys(self, sd):
        # Written for checkpoints wrapped as `model.`: a DataParallel one keeps `module.`.
        return {(k[len("model."):] if k.startswith("model.") else k): v for k, v in sd.items()}

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/wrong.pt", map_location="cpu")
        sd = self._fix_keys(sd)
        model.load_state_dict(sd)  # expect: PTL205 every key in ckpt/wrong.pt starts with `module.`
        return model


Trainer().restore()
