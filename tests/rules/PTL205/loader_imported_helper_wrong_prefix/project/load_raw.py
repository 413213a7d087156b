from models import Net
from utils import ckpt


def main():
    model = Net()
    sd = ckpt.load_raw("ckpt/raw.pt")
    model.load_state_dict(sd)  # expect: PTL205 every key in ckpt/raw.pt starts with `module.`


main()
