import torch

from models import Detector

if __name__ == "__main__":
    torch.save(Detector(), "detector.pt")
