import math

import torch
import torch.nn as nn


def stage_schedule(depth, w_0, w_a, w_m, quant=8):
    # torchvision's RegNet width schedule: stage widths and depths computed
    # with tensor arithmetic, then as Python lists.
    widths_cont = torch.arange(depth) * w_a + w_0
    block_capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
    block_widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, block_capacity), quant)) * quant).int().tolist()
    split_helper = zip(block_widths + [0], [0] + block_widths, block_widths + [0], [0] + block_widths)
    splits = [w != wp or r != rp for w, wp, r, rp in split_helper]
    widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
    depths = torch.diff(torch.tensor([d for d, t in enumerate(splits) if t])).int().tolist()
    return widths, depths


class Net(nn.Module):
    def __init__(self, depth=6, w_0=16, w_a=12.0, w_m=2.0):
        super().__init__()
        widths, depths = stage_schedule(depth, w_0, w_a, w_m)
        stages = []
        c = 3
        for w, d in zip(widths, depths):
            stages.append(nn.Sequential(*[nn.Conv2d(c if i == 0 else w, w, 1, bias=False) for i in range(d)]))  # expect: PTL203 size mismatch for stages.2.0.weight # expect: PTL203 size mismatch for stages.N.N.weight
            c = w
        self.stages = nn.Sequential(*stages)
