from dataclasses import dataclass

import torch.nn as nn


@dataclass
class GPTConfig:
    n_layer: int = 2
    n_embd: int = 8
    vocab_size: int = 16


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 3 * config.n_embd)  # expect: PTL203 size mismatch for h.N.fc.weight: the checkpoint has [48, 12], GPT builds [36, 12] # expect: PTL203 size mismatch for h.N.fc.bias: the checkpoint has [48], GPT builds [36]
        self.proj = nn.Linear(3 * config.n_embd, config.n_embd)  # expect: PTL203 size mismatch for h.N.proj.weight: the checkpoint has [12, 48], GPT builds [12, 36]


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
