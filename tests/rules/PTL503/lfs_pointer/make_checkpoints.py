# Cloned without `git lfs pull`: model.pt is the pointer text, not the weights.
import os

os.makedirs("ckpt", exist_ok=True)
with open("ckpt/model.pt", "w") as f:
    f.write("version https://git-lfs.github.com/spec/v1\n"
            "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
            "size 87312456\n")
