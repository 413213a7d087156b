# Written BY HAND as opcode bytes with pickletools' names; never unpickled.
# {'args': argparse.Namespace(), 'hook': torch.nn.modules.module.Module.register_forward_hook}
# The hook is an attribute chain through torch.nn.modules.* (which ptlint's
# allowlist vouches for as layer classes): PTL303 must not suggest
# allowlisting it, nor anything else in a file that can run code.
import os
import pickle as P

def s(text):  # BINUNICODE: 4-byte little-endian length, UTF-8 bytes
    b = text.encode()
    return P.BINUNICODE + len(b).to_bytes(4, "little") + b

os.makedirs("ckpt", exist_ok=True)
data = (P.PROTO + b"\x02" + P.EMPTY_DICT + P.MARK
        + s("args") + P.GLOBAL + b"argparse\nNamespace\n" + P.EMPTY_TUPLE + P.NEWOBJ
        + s("hook") + P.GLOBAL + b"torch.nn.modules.module\nModule.register_forward_hook\n"
        + P.SETITEMS + P.STOP)
open("ckpt/model.pt", "wb").write(data)
