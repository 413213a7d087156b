# Pristine: a nanoGPT-style checkpoint whose model_args differ from
# GPTConfig's defaults loads into today's code, and a second file whose
# model_args hold a value that is not a plain literal (so ptlint cannot know
# the construction) must stay silent too. Real torch loads the first.
import os, sys
import torch
sys.path.insert(0, ".")
from model import GPT, GPTConfig

model_args = dict(n_layer=3, n_embd=12, vocab_size=20)
os.makedirs("ckpt", exist_ok=True)
torch.save({"model": GPT(GPTConfig(**model_args)).state_dict(), "model_args": model_args, "iter_num": 5000},
           "ckpt/ckpt.pt")
import sample  # loads with real torch
