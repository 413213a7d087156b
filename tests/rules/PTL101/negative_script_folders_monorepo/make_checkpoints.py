# A monorepo of script folders: each trains from its own folder, so the
# whole-module pickles name `models.Detector` and `nets.Segmenter`.
import os, subprocess, sys
for folder, script in [("projects/detector", "train.py"), ("projects/segmenter", "train.py")]:
    subprocess.run([sys.executable, script], cwd=folder, check=True)
