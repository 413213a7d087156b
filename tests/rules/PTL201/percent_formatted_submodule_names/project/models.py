from collections import OrderedDict

import torch.nn as nn


class DenseLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.BatchNorm2d(c)
        self.conv = nn.Conv2d(c, c, kernel_size=1, bias=True)  # expect: PTL201 `features.denseblock1.denselayer1.conv.bias`


class DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, c):
        super().__init__()
        for i in range(num_layers):
            self.add_module("denselayer%d" % (i + 1), DenseLayer(c))


class DenseNet(nn.Module):
    def __init__(self, blocks=(2, 2), c=8):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([("conv0", nn.Conv2d(3, c, 3))]))
        for i, n in enumerate(blocks):
            self.features.add_module("denseblock%d" % (i + 1), DenseBlock(n, c))
        self.classifier = nn.Linear(c, 10)
