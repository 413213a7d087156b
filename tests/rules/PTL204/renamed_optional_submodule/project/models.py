import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        # Use a projection only when the shape changes (torchvision's regnet):
        # self.shortcut stays None when cin == cout and stride == 1.
        self.shortcut = None  # expect: PTL204 `blocks.0.proj` in ckpt/model.pt is `blocks.0.shortcut` in Net
        if cin != cout or stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return y + (x if self.shortcut is None else self.shortcut(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(3, 8, 2), Block(8, 8))

    def forward(self, x):
        return self.blocks(x)
