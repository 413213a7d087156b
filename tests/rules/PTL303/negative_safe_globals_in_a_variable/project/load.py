import argparse

import torch

from models import Net

ALLOWED = [argparse.Namespace]


def load(path):
    torch.serialization.add_safe_globals(ALLOWED)
    checkpoint = torch.load(path)
    model = Net()
    model.load_state_dict(checkpoint["model"])
    return model


load("ckpt/model.pt")
