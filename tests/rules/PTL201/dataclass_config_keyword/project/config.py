from dataclasses import dataclass, field


@dataclass
class Config:
    width: int = 32
    depth: int = field(default=2)
    bias: bool = True
