import argparse

import torch

from net import MLP


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=1e-3)
args = parser.parse_args([])

model = MLP(8, 16, 4)
optimizer = torch.optim.AdamW(param_groups(model, 0.01), lr=args.lr)
ckpt = torch.load("ckpt/last.pt")
model.load_state_dict(ckpt["model"])
optimizer.load_state_dict(ckpt["optimizer"])
x, y = torch.randn(3, 8), torch.randn(3, 4)
loss = torch.nn.functional.mse_loss(model(x), y)
loss.backward()
optimizer.step()
