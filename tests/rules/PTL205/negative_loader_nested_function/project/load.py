import torch

from models import Net


def main():
    def fix(sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    model = Net()
    sd = torch.load("ckpt/model.pt", map_location="cpu")
    sd = fix(sd)
    model.load_state_dict(sd)


main()
