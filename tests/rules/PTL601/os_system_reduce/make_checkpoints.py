# Written BY HAND as opcode bytes with pickletools' names; never unpickled.
import os
import pickle as P

def s(text):  # BINUNICODE: 4-byte little-endian length, UTF-8 bytes
    b = text.encode()
    return P.BINUNICODE + len(b).to_bytes(4, "little") + b

os.makedirs("ckpt", exist_ok=True)

# os.system('echo ptlint-test'): GLOBAL, args tuple, REDUCE.
data = (P.PROTO + b"\x02" + P.GLOBAL + b"os\nsystem\n" + P.MARK + s("echo ptlint-test")
        + P.TUPLE + P.REDUCE + P.STOP)
open("ckpt/model.pt", "wb").write(data)
