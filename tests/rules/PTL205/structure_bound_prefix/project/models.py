import torch.nn as nn


class Net(nn.Module):  # expect: PTL205 every key in ckpt/dp.pt starts with `module.`
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.head = nn.Linear(8, 10)
