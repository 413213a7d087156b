from dataclasses import dataclass


@dataclass
class TrainConfig:
    lr: float = 0.01
    epochs: int = 3
