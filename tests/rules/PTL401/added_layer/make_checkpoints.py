# Saved before `head` was added: the optimizer holds 4 parameters, Net now has 6.
import os
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 16)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(2, 8)).sum().backward()
optimizer.step()
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, "ckpt/last.pt")
