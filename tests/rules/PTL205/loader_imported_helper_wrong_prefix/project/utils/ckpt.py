import torch


def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    # Written for checkpoints wrapped as `model.`.
    return {k.replace("model.", ""): v for k, v in sd.items()}


def load_raw(path):
    return torch.load(path, map_location="cpu")


def load_checkpoint(model, path):
    model.load_state_dict(torch.load(path, map_location="cpu")["state_dict"])
