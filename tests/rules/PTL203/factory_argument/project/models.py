import torch.nn as nn


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Linear(8, 16)
        self.fc = nn.Linear(16, num_classes)  # expect: PTL203 size mismatch for fc.weight # expect: PTL203 size mismatch for fc.bias

    def forward(self, x):
        return self.fc(self.features(x))


def build_model(classes):
    """Two outputs per class: a score and a margin."""
    return Net(num_classes=classes * 2)
