import torch

from models import Net


def main():
    def fix(sd):
        # Written for checkpoints wrapped as `model.`.
        return {k.removeprefix("model."): v for k, v in sd.items()}

    model = Net()
    sd = torch.load("ckpt/model.pt", map_location="cpu")
    sd = fix(sd)
    model.load_state_dict(sd)  # expect: PTL205 every key in ckpt/model.pt starts with `module.`


main()
