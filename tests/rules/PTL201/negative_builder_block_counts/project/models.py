# In the style of torchvision's resnet.py: builders pass a block class and
# block counts through a private helper (`_net(Block, [1, 2])`).
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1)


class Net(nn.Module):
    def __init__(self, block=Block, layers=(3, 3), width=4):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3)
        self.layer1 = nn.Sequential(*[block(width) for _ in range(layers[0])])
        self.layer2 = nn.Sequential(*[block(width) for _ in range(layers[1])])


def _net(block, layers, **kwargs):
    return Net(block, layers, **kwargs)


def net_small(**kwargs):
    return _net(Block, [1, 2], **kwargs)


def net_big(**kwargs):
    return _net(Block, [3, 3], **kwargs)
