import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 16, batch_first=True, bias=False)  # expect: PTL202 ckpt/model.pt holds `rnn.bias_ih_l0` and `rnn.bias_hh_l0`
        self.classifier = nn.Linear(16, 4, bias=False)  # expect: PTL202 ckpt/model.pt holds `classifier.bias`, which Net no longer registers (the layer `classifier` built here

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.classifier(out[:, -1])
