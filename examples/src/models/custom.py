"""Seed article, example 1. Since ckpt/model_with_custom.pt was saved, the
`custom_layer` attribute was renamed `encoder`."""
import torch.nn as nn


class MyCustomLayer(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(MyCustomLayer, self).__init__()
        self.linear = nn.Linear(input_size, hidden_size)

    def forward(self, x):
        return self.linear(x)


class ModelWithCustomLayer(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(ModelWithCustomLayer, self).__init__()
        self.encoder = MyCustomLayer(input_size, hidden_size)
        self.output_layer = nn.Linear(hidden_size, 1)

    def forward(self, x):
        return self.output_layer(self.encoder(x))
