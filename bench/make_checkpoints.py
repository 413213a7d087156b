"""Makes the benchmark checkpoints with real torch.save.

  /usr/bin/python3 bench/make_checkpoints.py OUT_DIR

- one_gib_tensor.pt: a single 1 GiB float32 tensor (time must not depend on bytes)
- state_dict_20k.pt: a state dict of 20,000 small tensors
- wav2vec2_base.pt:  torchaudio's wav2vec2 base, random init, state_dict()
"""
import os
import sys
from collections import OrderedDict

import torch


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    p = os.path.join(out, "one_gib_tensor.pt")
    if not os.path.exists(p):
        torch.save({"weight": torch.zeros(256 * 1024 * 1024, dtype=torch.float32)}, p)
    p = os.path.join(out, "state_dict_20k.pt")
    if not os.path.exists(p):
        sd = OrderedDict()
        for i in range(5000):
            sd[f"blocks.{i}.linear.weight"] = torch.randn(4, 4)
            sd[f"blocks.{i}.linear.bias"] = torch.randn(4)
            sd[f"blocks.{i}.norm.weight"] = torch.ones(4)
            sd[f"blocks.{i}.norm.bias"] = torch.zeros(4)
        torch.save(sd, p)
    p = os.path.join(out, "wav2vec2_base.pt")
    if not os.path.exists(p):
        import torchaudio
        model = torchaudio.models.wav2vec2_base()
        torch.save(model.state_dict(), p)
    for name in sorted(os.listdir(out)):
        print(f"{name}: {os.path.getsize(os.path.join(out, name)):,} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/out")
