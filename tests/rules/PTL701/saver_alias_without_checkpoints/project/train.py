from models import Net
from utils import saver


def main():
    model = Net()
    model.load_state_dict({"fc.weight": None})
    saver(model, "ckpt/model.pt")  # expect: PTL701 pickles the whole `Net` object
