"""How the project loads its checkpoints today. Every load here fails or goes
wrong in its own way; `ptlint src/ ckpt/` says which, where and why before
anyone runs this file."""
import torch

from models.classifier import Classifier
from models.custom import ModelWithCustomLayer
from models.simple import SimpleModel


def load_custom():
    # Seed example 1: the attribute was renamed since the file was saved.
    model = ModelWithCustomLayer(10, 5)
    model.load_state_dict(torch.load("ckpt/model_with_custom.pt"))
    return model


def resume():
    # Seed example 2: the whole checkpoint dict is passed to load_state_dict.
    model = SimpleModel(10, 5)
    checkpoint = torch.load("ckpt/model_and_optim.pt")
    model.load_state_dict(checkpoint)
    return model


def load_full():
    # Seed example 3: a whole pickled model loaded as if it were a state dict.
    model = SimpleModel(10, 5)
    model.load_state_dict(torch.load("ckpt/full_model.pt"))
    return model


def load_data_parallel():
    # Saved from nn.DataParallel: every key starts with "module.".
    model = SimpleModel(10, 5)
    model.load_state_dict(torch.load("ckpt/dp_model.pt", map_location="cpu"))
    return model


def load_classifier():
    # Trained with num_classes=5.
    model = Classifier(num_classes=10)
    model.load_state_dict(torch.load("ckpt/classifier.pt", map_location="cpu"))
    return model


def load_run():
    # Saved with the argparse namespace of the training run.
    run = torch.load("ckpt/run_with_args.pt")
    model = SimpleModel(10, 5)
    model.load_state_dict(run["model"])
    return model


def load_legacy():
    return torch.load("ckpt/legacy_net.pt")
