# The same checkpoint as numpy2_core_pinned_numpy1 (a numpy 2 array pickle);
# only the project's numpy pin differs.
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                            "numpy2_core_pinned_numpy1", "make_checkpoints.py"))
