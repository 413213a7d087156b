import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, in_features=16, num_classes=5):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_features, 32), nn.ReLU(), nn.BatchNorm1d(32))
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))
