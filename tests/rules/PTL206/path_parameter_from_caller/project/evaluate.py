import torch

from models import Net


def restore(model, path):
    model.load_state_dict(torch.load(path, map_location="cpu"))  # expect: PTL206 model.load_state_dict(...) receives the whole checkpoint dict of ckpt/model.pt
    return model


def main(checkpoint):
    return restore(Net().eval(), checkpoint)


if __name__ == "__main__":
    main("ckpt/model.pt")
