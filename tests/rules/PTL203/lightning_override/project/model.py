import torch
from torch import nn
import lightning.pytorch as pl


class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc = nn.Linear(4, hidden)


class LitModel(pl.LightningModule):
    def __init__(self, hidden=32, classes=3):
        super().__init__()
        self.save_hyperparameters()
        self.model = Net(hidden)
        self.head = nn.Linear(hidden, classes)  # expect: PTL203 size mismatch for head.weight # expect: PTL203 size mismatch for head.bias

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)
