from collections import OrderedDict


def strip_module(sd):
    # In place, as many training repos do it.
    for k in list(sd):
        sd[k[7:]] = sd.pop(k)


def strip_module_copy(sd):
    # The forum loop, in a helper that returns the new dict.
    new = OrderedDict()
    for k, v in sd.items():
        new[k[7:]] = v
    return new


def fix_keys(state_dict):
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict.items()}


def describe(sd):
    # Only reads the state dict.
    print(len(sd), "tensors:", list(sd.keys())[:2])
