import torch
import torch.nn as nn


class Scale(nn.Module):
    """A learnable scale with an optional shift, as in many norm layers."""

    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None


class Net(nn.Module):
    def __init__(self, n, bias):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.scale = Scale(n, bias)
