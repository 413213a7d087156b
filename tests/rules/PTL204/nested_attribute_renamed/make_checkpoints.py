# Saved when Up called its DoubleConv `conv`; it is `conv_block` now. The
# finding goes where the new name is assigned, not on a layer inside DoubleConv.
import os, sys
import torch
sys.path.insert(0, ".")
import models


class Up(models.Up):
    def __init__(self, cin, cout):
        super().__init__(cin, cout)
        self.conv = self.conv_block
        del self.conv_block


net = models.Net()
net.up1 = Up(8, 4)
os.makedirs("ckpt", exist_ok=True)
torch.save(net.state_dict(), "ckpt/model.pt")
