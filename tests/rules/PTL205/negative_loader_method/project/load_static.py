import torch

from models import Net


class Trainer:
    @staticmethod
    def clean(sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/static.pt", map_location="cpu")
        sd = Trainer.clean(sd)
        model.load_state_dict(sd)
        return model


Trainer().restore()
