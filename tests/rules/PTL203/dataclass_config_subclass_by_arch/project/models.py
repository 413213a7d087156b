from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch.nn as nn


@dataclass
class _BlockConfig:
    expand_ratio: int
    input_channels: int
    out_channels: int
    block: Callable[..., nn.Module]


class BlockConfig(_BlockConfig):
    # Its own __init__ (the dataclass one runs through super()), as
    # torchvision's MBConvConfig.
    def __init__(self, expand_ratio, input_channels, out_channels, width_mult=1.0, block=None):
        input_channels = int(input_channels * width_mult)
        out_channels = int(out_channels * width_mult)
        if block is None:
            block = Block
        super().__init__(expand_ratio, input_channels, out_channels, block)


class Block(nn.Module):
    def __init__(self, cnf):
        super().__init__()
        hidden = cnf.input_channels * cnf.expand_ratio
        self.expand = nn.Conv2d(cnf.input_channels, hidden, 1, bias=False)
        self.project = nn.Conv2d(hidden, cnf.out_channels, 1, bias=False)  # expect: PTL203 features.1.project.weight


class Net(nn.Module):
    def __init__(self, setting):
        super().__init__()
        self.stem = nn.Conv2d(3, setting[0].input_channels, 3)
        layers = []
        for cnf in setting:
            layers.append(cnf.block(cnf))
        self.features = nn.Sequential(*layers)


def _net_conf(arch, **kwargs):
    if arch.startswith("net_b"):
        conf = partial(BlockConfig, width_mult=kwargs.pop("width_mult"))
        setting = [conf(1, 8, 16), conf(6, 16, 24)]
    elif arch.startswith("net_v2"):
        setting = [BlockConfig(1, 8, 16)]
    else:
        raise ValueError(arch)
    return setting


def net_b0():
    return Net(_net_conf("net_b0", width_mult=1.0))
