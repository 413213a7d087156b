# nanoGPT's sample.py: the model is built from the config the checkpoint carries.
import torch

from model import GPT, GPTConfig

checkpoint = torch.load("ckpt/ckpt.pt", map_location="cpu")
gptconf = GPTConfig(**checkpoint["model_args"])
model = GPT(gptconf)
state_dict = checkpoint["model"]
model.load_state_dict(state_dict)
