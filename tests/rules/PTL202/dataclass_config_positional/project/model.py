import torch.nn as nn


class Net(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed = nn.Linear(8, config.width, bias=config.bias)  # expect: PTL202 holds `embed.bias`
        self.blocks = nn.ModuleList([nn.Linear(config.width, config.width) for _ in range(config.depth)])

    def forward(self, x):
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return x
