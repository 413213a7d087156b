# Written BY HAND as opcode bytes with pickletools' names; never unpickled.
import os
import pickle as P

def s(text):  # BINUNICODE: 4-byte little-endian length, UTF-8 bytes
    b = text.encode()
    return P.BINUNICODE + len(b).to_bytes(4, "little") + b

os.makedirs("ckpt", exist_ok=True)

# socket.create_connection(('127.0.0.1', 9)): a network call at load time.
data = (P.PROTO + b"\x02" + P.GLOBAL + b"socket\ncreate_connection\n"
        + P.MARK + P.MARK + s("127.0.0.1") + P.BININT1 + b"\x09" + P.TUPLE + P.TUPLE
        + P.REDUCE + P.STOP)
open("ckpt/model.pt", "wb").write(data)
