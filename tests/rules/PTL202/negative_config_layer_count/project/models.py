from dataclasses import dataclass

import torch.nn as nn


@dataclass
class Config:
    n_layer: int = 2
    d: int = 8


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)


class Net(nn.Module):
    def __init__(self, config, depth):
        super().__init__()
        self.stem = nn.Linear(config.d, config.d)
        # The number of blocks is only known at run time.
        self.blocks = nn.Sequential(*[Block(config.d) for _ in range(depth)])
        self.head = nn.Linear(config.d, 2)
