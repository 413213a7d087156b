from models import Net
from utils.ckpt import load_weights

model = Net()
model.load_state_dict(load_weights("ckpt/weights.pt"))
