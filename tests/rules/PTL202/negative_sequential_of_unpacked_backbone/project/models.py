import torch.nn as nn


class Extractor(nn.Module):
    # As torchvision's SSDFeatureExtractorVGG: part of a backbone passed in,
    # cut at a position computed at run time, unpacked into a Sequential.
    def __init__(self, backbone: nn.Module):
        super().__init__()
        _, pos = (i for i, layer in enumerate(backbone) if isinstance(layer, nn.MaxPool2d))
        fc = nn.Sequential(nn.Conv2d(8, 8, kernel_size=1), nn.ReLU(inplace=True))
        extra = nn.ModuleList([nn.Sequential(nn.Conv2d(8, 4, kernel_size=1), nn.ReLU(inplace=True))])
        extra.insert(0, nn.Sequential(*backbone[pos:-1], fc))
        self.extra = extra

    def forward(self, x):
        for block in self.extra:
            x = block(x)
        return x


def build():
    backbone = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=1), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, kernel_size=1), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, kernel_size=1), nn.ReLU(), nn.Conv2d(8, 8, kernel_size=1), nn.ReLU(), nn.ReLU(),
    )
    return Extractor(backbone)
