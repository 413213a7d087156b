# State dicts whose storages say `cuda:0` (no CUDA here: the location string
# in data.pkl is rewritten, as tests/make_fixtures.py does for devices/cuda0.pt),
# loaded without map_location by helpers of another module (utils/io.py): one
# given the path by its caller (ckpt/gpu.pt), one naming the file itself
# (ckpt/default.pt). Real torch fails on both.
import os, struct, sys, zipfile
import torch

def retag(src, dst, location):
    with zipfile.ZipFile(src) as z:
        records = [(n, z.read(n)) for n in z.namelist()]
    writer = torch._C.PyTorchFileWriter(dst)
    old = b"X" + struct.pack("<I", 3) + b"cpu"
    new = b"X" + struct.pack("<I", len(location)) + location.encode()
    for name, data in records:
        rel = name.split("/", 1)[1]
        if rel == "version":
            continue  # the writer adds it
        if rel == "data.pkl":
            assert old in data
            data = data.replace(old, new)
        writer.write_record(rel, data, len(data))
    writer.write_end_of_file()

os.makedirs("ckpt", exist_ok=True)
torch.manual_seed(0)
torch.save(torch.nn.Linear(3, 2).state_dict(), "ckpt/_cpu.pt")
retag("ckpt/_cpu.pt", "ckpt/gpu.pt", "cuda:0")
retag("ckpt/_cpu.pt", "ckpt/default.pt", "cuda:0")
os.remove("ckpt/_cpu.pt")
sys.path.insert(0, ".")
for script in ("evaluate", "evaluate_default"):
    try:
        __import__(script)
    except RuntimeError as e:
        assert "Attempting to deserialize object on a CUDA device" in str(e), e
    else:
        raise AssertionError(f"{script} loaded")
