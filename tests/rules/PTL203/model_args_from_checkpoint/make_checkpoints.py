# Saved when Block's MLP was 4 * n_embd wide (today's code says 3 *), with
# model_args that differ from GPTConfig's defaults: only the file's own
# config gives the shapes ptlint must compare.
import os, sys
import torch
sys.path.insert(0, ".")
from model import GPT, GPTConfig

model_args = dict(n_layer=3, n_embd=12, vocab_size=20)
sd = GPT(GPTConfig(**model_args)).state_dict()
d = model_args["n_embd"]
for i in range(model_args["n_layer"]):
    sd[f"h.{i}.fc.weight"] = torch.zeros(4 * d, d)
    sd[f"h.{i}.fc.bias"] = torch.zeros(4 * d)
    sd[f"h.{i}.proj.weight"] = torch.zeros(d, 4 * d)
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": sd, "model_args": model_args, "iter_num": 5000, "best_val_loss": 1.25}, "ckpt/ckpt.pt")
