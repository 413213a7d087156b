import torch.nn as nn


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(inplace=True))
        # The last layer is initialised differently from the rest (squeezenet).
        final_conv = nn.Conv2d(8, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Identity(),
            nn.Dropout(p=0.5),
            final_conv,  # expect: PTL204 `classifier.1` in ckpt/model.pt is `classifier.2` in Net
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
