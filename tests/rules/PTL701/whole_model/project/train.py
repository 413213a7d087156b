import torch

from models import Net


def main():
    model = Net(10, 5)
    torch.save(model, "ckpt/model.pt")


if __name__ == "__main__":
    main()
