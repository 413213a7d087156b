from configs.train import TrainConfig

__all__ = ["TrainConfig"]
