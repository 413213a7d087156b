from collections import OrderedDict


def strip_module_copy(sd):
    new = OrderedDict()
    for k, v in sd.items():
        new[k[7:]] = v
    return new
