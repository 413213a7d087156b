import torch.nn as nn


class Net(nn.Module):  # expect: PTL202 holds `epoch` and `best_acc` beside the tensors
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
