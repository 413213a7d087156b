# Runs the fixture's own training script, which pickles its __main__.Net.
import os, subprocess, sys
os.makedirs("ckpt", exist_ok=True)
subprocess.run([sys.executable, "train.py"], check=True)
