import torch

from models import Net


def main():
    model = Net(10, 5)
    torch.save(model, "ckpt/model.pt")  # expect: PTL701 `torch.save(model, ...)` pickles the whole `Net` object


if __name__ == "__main__":
    main()
