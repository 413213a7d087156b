"""Makes the example checkpoints with real torch.save, using the model code as
it was at training time (history/). Run with Debian's Python:
    /usr/bin/python3 examples/train.py
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.optim as optim

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "history"))

from models.classifier import Classifier  # noqa: E402
from models.custom import ModelWithCustomLayer  # noqa: E402
from models.legacy_net import LegacyNet  # noqa: E402
from models.simple import SimpleModel  # noqa: E402

CKPT = os.path.join(HERE, "ckpt")


def main():
    os.makedirs(CKPT, exist_ok=True)
    torch.manual_seed(0)
    input_size, hidden_size = 10, 5

    # Seed example 1: a state dict of a model with a custom layer.
    model = ModelWithCustomLayer(input_size, hidden_size)
    torch.save(model.state_dict(), os.path.join(CKPT, "model_with_custom.pt"))

    # Seed example 2: model and optimizer state in one wrapper dict.
    model = SimpleModel(input_size, hidden_size)
    optimizer = optim.Adam(model.parameters())
    model(torch.randn(4, input_size)).sum().backward()
    optimizer.step()
    torch.save({"model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "epoch": 3},
               os.path.join(CKPT, "model_and_optim.pt"))

    # Seed example 3: the whole model pickled.
    torch.save(model, os.path.join(CKPT, "full_model.pt"))

    # Trained under nn.DataParallel: keys carry "module.".
    torch.save(nn.DataParallel(SimpleModel(input_size, hidden_size)).state_dict(),
               os.path.join(CKPT, "dp_model.pt"))

    # A classifier trained for 5 classes.
    torch.save(Classifier(num_classes=5).state_dict(), os.path.join(CKPT, "classifier.pt"))

    # The run's argparse namespace saved beside the weights.
    args = argparse.Namespace(lr=0.01, epochs=3)
    torch.save({"model": SimpleModel(input_size, hidden_size).state_dict(), "args": args},
               os.path.join(CKPT, "run_with_args.pt"))

    # A whole model whose module (models.legacy_net) was since merged into models.nets.
    torch.save(LegacyNet(), os.path.join(CKPT, "legacy_net.pt"))
    print("wrote", ", ".join(sorted(os.listdir(CKPT))), "to", CKPT)


if __name__ == "__main__":
    main()
