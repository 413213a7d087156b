import os

import torch


class FeatureDataset(torch.utils.data.Dataset):
    """Precomputed features, one tensor file per sample."""

    def __init__(self, folder):
        self.folder = folder
        self.names = sorted(os.listdir(folder))

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        # Not a checkpoint of this project: the path is computed at run time.
        return torch.load(os.path.join(self.folder, self.names[i]))
