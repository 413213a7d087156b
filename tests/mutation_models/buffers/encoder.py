import torch
import torch.nn as nn


class Normalizer(nn.Module):
    """Feature standardisation with running statistics kept in buffers."""

    def __init__(self, dim):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.register_buffer("scratch", torch.zeros(dim), persistent=False)

    def forward(self, x):
        return (x - self.mean) / self.std


class Encoder(nn.Module):
    def __init__(self, dim, hidden=32, vocab=50):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.norm = Normalizer(dim)
        self.rnn = nn.LSTM(dim, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, dim)
        self.scale = nn.Parameter(torch.ones(1))
        inv_freq = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, tokens):
        x = self.norm(self.embed(tokens))
        out, _ = self.rnn(x)
        return self.proj(out) * self.scale
