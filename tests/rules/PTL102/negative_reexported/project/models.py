# TinyNet moved to tiny.py; this import keeps `models.TinyNet` loadable.
from tiny import TinyNet  # noqa: F401
