"""Makes the example checkpoints with real torch.save (the seed article's
three examples). Run with Debian's Python: /usr/bin/python3 examples/train.py
"""
import os
import sys

import torch
import torch.optim as optim

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "src"))

from models.custom import ModelWithCustomLayer  # noqa: E402
from models.simple import SimpleModel  # noqa: E402

CKPT = os.path.join(HERE, "ckpt")


def main():
    os.makedirs(CKPT, exist_ok=True)
    torch.manual_seed(0)
    input_size, hidden_size = 10, 5

    # Example 1: a state dict of a model with a custom layer.
    model = ModelWithCustomLayer(input_size, hidden_size)
    torch.save(model.state_dict(), os.path.join(CKPT, "model_with_custom.pt"))

    # Example 2: model and optimizer state in one wrapper dict.
    model = SimpleModel(input_size, hidden_size)
    optimizer = optim.Adam(model.parameters())
    model(torch.randn(4, input_size)).sum().backward()
    optimizer.step()
    torch.save({"model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()},
               os.path.join(CKPT, "model_and_optim.pt"))

    # Example 3: the whole model pickled (loading it needs models.simple importable).
    torch.save(model, os.path.join(CKPT, "full_model.pt"))
    print("wrote", ", ".join(sorted(os.listdir(CKPT))), "to", CKPT)


if __name__ == "__main__":
    main()
