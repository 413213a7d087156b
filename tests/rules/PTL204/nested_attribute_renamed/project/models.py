import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
        self.conv_block = DoubleConv(cin, cout)  # expect: PTL204 `up1.conv` in ckpt/model.pt is `up1.conv_block`

    def forward(self, x):
        return self.conv_block(self.up(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.up1 = Up(8, 4)

    def forward(self, x):
        return self.up1(x)
