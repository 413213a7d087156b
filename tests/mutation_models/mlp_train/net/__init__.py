from net.mlp import MLP

__all__ = ["MLP"]
