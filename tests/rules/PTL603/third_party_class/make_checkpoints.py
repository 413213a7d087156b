# Written BY HAND as opcode bytes with pickletools' names; never unpickled.
import os
import pickle as P

def s(text):  # BINUNICODE: 4-byte little-endian length, UTF-8 bytes
    b = text.encode()
    return P.BINUNICODE + len(b).to_bytes(4, "little") + b

os.makedirs("ckpt", exist_ok=True)

# {'cfg': omegaconf.listconfig.ListConfig()}: a class no allowlist vouches for.
data = (P.PROTO + b"\x02" + P.EMPTY_DICT + s("cfg")
        + P.GLOBAL + b"omegaconf.listconfig\nListConfig\n" + P.EMPTY_TUPLE + P.NEWOBJ
        + P.SETITEM + P.STOP)
open("ckpt/model.pt", "wb").write(data)
