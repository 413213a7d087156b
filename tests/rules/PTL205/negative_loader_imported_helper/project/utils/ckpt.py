import torch
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present


def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    return {k.replace("module.", ""): v for k, v in sd.items()}


def load_checkpoint(model, path):
    sd = torch.load(path, map_location="cpu")["state_dict"]
    consume_prefix_in_state_dict_if_present(sd, "module.")
    model.load_state_dict(sd)
