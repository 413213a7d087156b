"""Writes a checkpoint in Lightning's layout with real torch.save.

Lightning is not packaged in Debian, so the rule cases that need a `.ckpt`
write its layout (the dict Lightning's CheckpointConnector.dump_checkpoint
builds: epoch, global_step, state_dict, optimizer_states, hyper_parameters, ...) from a plain
nn.Module that registers the same state as the project's LightningModule.
`hyper_parameters` is an AttributeDict (a dict subclass pickled by reference
to lightning.fabric.utilities.data.AttributeDict), as save_hyperparameters()
stores it.
"""
import sys
import types

import torch


def _attribute_dict_class():
    names = ["lightning", "lightning.fabric", "lightning.fabric.utilities", "lightning.fabric.utilities.data"]
    for name in names:
        sys.modules.setdefault(name, types.ModuleType(name))
    module = sys.modules[names[-1]]
    if not hasattr(module, "AttributeDict"):
        cls = type("AttributeDict", (dict,), {"__module__": names[-1]})
        module.AttributeDict = cls
    return module.AttributeDict


def save(model, hyper_parameters, path, optimizer=None):
    """torch.save of {epoch, global_step, pytorch-lightning_version, state_dict, ...}."""
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    checkpoint = {
        "epoch": 3,
        "global_step": 120,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": model.state_dict(),
        "loops": {},
        "callbacks": {},
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": _attribute_dict_class()(hyper_parameters),
    }
    torch.save(checkpoint, path)
