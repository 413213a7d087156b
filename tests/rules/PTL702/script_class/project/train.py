import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.fc(x)


if __name__ == "__main__":
    model = Net(10, 5)
    torch.save(model, "ckpt/model.pt")  # expect: PTL702 `Net` is defined in train.py
