from utils.io import read_state

state = read_state("ckpt/gpu.pt")  # expect: PTL304 `torch.load` without `map_location` reads ckpt/gpu.pt
