# The same Lightning checkpoint as the positive case, LitModel(hidden=64,
# classes=3); here load.py passes no override.
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lightning_override",
                            "make_checkpoints.py"), run_name="__main__")
