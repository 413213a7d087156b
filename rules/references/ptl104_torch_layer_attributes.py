# Generates the torch-layer attribute table of ptl104_pickled_attribute_drift.cc from
# torch 1.13 (run with /usr/bin/python3): per layer, the instance attributes __init__
# sets beyond nn.Module's own that forward() reads and __setstate__ does not default.
import torch, torch.nn as nn, inspect, re
base = set(nn.Module().__dict__.keys())
cases = {
 'Upsample': lambda: nn.Upsample(scale_factor=2), 'Linear': lambda: nn.Linear(2,3),
 'Conv1d': lambda: nn.Conv1d(2,3,3), 'Conv2d': lambda: nn.Conv2d(2,3,3), 'Conv3d': lambda: nn.Conv3d(2,3,3),
 'ConvTranspose2d': lambda: nn.ConvTranspose2d(2,3,3),
 'BatchNorm1d': lambda: nn.BatchNorm1d(3), 'BatchNorm2d': lambda: nn.BatchNorm2d(3),
 'LayerNorm': lambda: nn.LayerNorm(3), 'GroupNorm': lambda: nn.GroupNorm(1,3),
 'Embedding': lambda: nn.Embedding(3,2), 'Dropout': lambda: nn.Dropout(), 'GELU': lambda: nn.GELU(),
 'SiLU': lambda: nn.SiLU(), 'Hardswish': lambda: nn.Hardswish(), 'ReLU': lambda: nn.ReLU(),
 'LeakyReLU': lambda: nn.LeakyReLU(), 'MaxPool2d': lambda: nn.MaxPool2d(2), 'AvgPool2d': lambda: nn.AvgPool2d(2),
 'AdaptiveAvgPool2d': lambda: nn.AdaptiveAvgPool2d(1), 'MultiheadAttention': lambda: nn.MultiheadAttention(4,2),
 'Softmax': lambda: nn.Softmax(1), 'Flatten': lambda: nn.Flatten(), 'Identity': lambda: nn.Identity(),
 'Mish': lambda: nn.Mish(), 'Hardsigmoid': lambda: nn.Hardsigmoid(),
}
for name, make in cases.items():
    m = make(); cls = type(m)
    attrs = [k for k in m.__dict__ if k not in base]
    src = ''
    for klass in cls.__mro__:
        if klass is nn.Module: break
        f = klass.__dict__.get('forward')
        if f: src += inspect.getsource(f)
        f = klass.__dict__.get('_conv_forward')
        if f: src += inspect.getsource(f)
    read = [a for a in attrs if re.search(r'self\.%s\b' % re.escape(a), src)]
    ss = ''
    for klass in cls.__mro__:
        if klass is nn.Module: break
        f = klass.__dict__.get('__setstate__')
        if f: ss += inspect.getsource(f)
    read = [a for a in read if a not in ss]
    print('    {"%s", "%s", {%s}},' % (name, cls.__module__, ', '.join('"%s"' % a for a in read)))
