import torch

from nets import Segmenter

if __name__ == "__main__":
    torch.save(Segmenter(), "segmenter.pt")
