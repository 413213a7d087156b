# Written BY HAND as opcode bytes with pickletools' names; never unpickled.
import os
import pickle as P

def s(text):  # BINUNICODE: 4-byte little-endian length, UTF-8 bytes
    b = text.encode()
    return P.BINUNICODE + len(b).to_bytes(4, "little") + b

os.makedirs("ckpt", exist_ok=True)

# STACK_GLOBAL whose module name is the result of a call (str('collections')),
# so no static scan can know the import: collections.OrderedDict() here.
data = (P.PROTO + b"\x04" + P.GLOBAL + b"builtins\nstr\n" + P.MARK + s("collections")
        + P.TUPLE + P.REDUCE + s("OrderedDict") + P.STACK_GLOBAL + P.EMPTY_TUPLE + P.REDUCE
        + P.STOP)
open("ckpt/model.pt", "wb").write(data)
