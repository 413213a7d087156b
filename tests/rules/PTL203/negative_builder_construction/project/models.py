# A library in the style of torchvision's squeezenet.py: the class takes a
# `version`, and public builders pass it. A file saved from net_b() must be
# judged against net_b()'s construction, not Net()'s default version.
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, version="a", num_classes=10):
        super().__init__()
        width = 8 if version == "a" else 4
        self.conv = nn.Conv2d(3, width, 3)
        self.head = nn.Linear(width, num_classes)


def _net(version, **kwargs):
    return Net(version, **kwargs)


def net_a(**kwargs):
    return _net("a", **kwargs)


def net_b(**kwargs):
    return _net("b", **kwargs)
