// The pickle opcodes (protocols 0-5): one table that the pickle machine,
// the checkpoint reader's sniffing and the weights_only simulation share.
//
// Codes and protocols follow CPython's Lib/pickletools.py (`opcodes`), which
// is also what Modules/_pickle.c accepts: a byte without an entry here is
// "invalid load key" for CPython.
#ifndef PTLINT_ANALYZER_FORMATS_PICKLE_OPCODES_H_
#define PTLINT_ANALYZER_FORMATS_PICKLE_OPCODES_H_

#include <array>
#include <cstdint>
#include <string>

namespace ptlint {

// The opcode bytes, by their pickletools names (usable as case labels).
namespace pickle_op {
constexpr uint8_t MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F',
                  INT = 'I', BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N',
                  PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T',
                  SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a',
                  BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e',
                  GET = 'g', BINGET = 'h', INST = 'i', LONG_BINGET = 'j', LIST = 'l',
                  EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q', LONG_BINPUT = 'r',
                  SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
                  PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84,
                  TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89,
                  LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 'B', SHORT_BINBYTES = 'C',
                  SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e,
                  EMPTY_SET = 0x8f, ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92,
                  STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95, BYTEARRAY8 = 0x96,
                  NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;
}  // namespace pickle_op

// The highest protocol a PROTO opcode may name.
constexpr int kHighestPickleProtocol = 5;

struct PickleOpcodeInfo {
  const char* name = nullptr;  // pickletools name; nullptr: not an opcode
  int8_t protocol = 0;         // the protocol that introduced it
};

namespace pickle_opcodes_internal {
constexpr std::array<PickleOpcodeInfo, 256> MakeTable() {
  namespace op = pickle_op;
  std::array<PickleOpcodeInfo, 256> t{};
  auto set = [&t](uint8_t code, const char* name, int8_t proto) { t[code] = {name, proto}; };
  set(op::MARK, "MARK", 0); set(op::STOP, "STOP", 0); set(op::POP, "POP", 0);
  set(op::POP_MARK, "POP_MARK", 1); set(op::DUP, "DUP", 0); set(op::FLOAT, "FLOAT", 0);
  set(op::INT, "INT", 0); set(op::BININT, "BININT", 1); set(op::BININT1, "BININT1", 1);
  set(op::LONG, "LONG", 0); set(op::BININT2, "BININT2", 1); set(op::NONE, "NONE", 0);
  set(op::PERSID, "PERSID", 0); set(op::BINPERSID, "BINPERSID", 1);
  set(op::REDUCE, "REDUCE", 0); set(op::STRING, "STRING", 0);
  set(op::BINSTRING, "BINSTRING", 1); set(op::SHORT_BINSTRING, "SHORT_BINSTRING", 1);
  set(op::UNICODE, "UNICODE", 0); set(op::BINUNICODE, "BINUNICODE", 1);
  set(op::APPEND, "APPEND", 0); set(op::BUILD, "BUILD", 0); set(op::GLOBAL, "GLOBAL", 0);
  set(op::DICT, "DICT", 0); set(op::EMPTY_DICT, "EMPTY_DICT", 1);
  set(op::APPENDS, "APPENDS", 1); set(op::GET, "GET", 0); set(op::BINGET, "BINGET", 1);
  set(op::INST, "INST", 0); set(op::LONG_BINGET, "LONG_BINGET", 1); set(op::LIST, "LIST", 0);
  set(op::EMPTY_LIST, "EMPTY_LIST", 1); set(op::OBJ, "OBJ", 1); set(op::PUT, "PUT", 0);
  set(op::BINPUT, "BINPUT", 1); set(op::LONG_BINPUT, "LONG_BINPUT", 1);
  set(op::SETITEM, "SETITEM", 0); set(op::TUPLE, "TUPLE", 0);
  set(op::EMPTY_TUPLE, "EMPTY_TUPLE", 1); set(op::SETITEMS, "SETITEMS", 1);
  set(op::BINFLOAT, "BINFLOAT", 1); set(op::PROTO, "PROTO", 2); set(op::NEWOBJ, "NEWOBJ", 2);
  set(op::EXT1, "EXT1", 2); set(op::EXT2, "EXT2", 2); set(op::EXT4, "EXT4", 2);
  set(op::TUPLE1, "TUPLE1", 2); set(op::TUPLE2, "TUPLE2", 2); set(op::TUPLE3, "TUPLE3", 2);
  set(op::NEWTRUE, "NEWTRUE", 2); set(op::NEWFALSE, "NEWFALSE", 2);
  set(op::LONG1, "LONG1", 2); set(op::LONG4, "LONG4", 2); set(op::BINBYTES, "BINBYTES", 3);
  set(op::SHORT_BINBYTES, "SHORT_BINBYTES", 3);
  set(op::SHORT_BINUNICODE, "SHORT_BINUNICODE", 4); set(op::BINUNICODE8, "BINUNICODE8", 4);
  set(op::BINBYTES8, "BINBYTES8", 4); set(op::EMPTY_SET, "EMPTY_SET", 4);
  set(op::ADDITEMS, "ADDITEMS", 4); set(op::FROZENSET, "FROZENSET", 4);
  set(op::NEWOBJ_EX, "NEWOBJ_EX", 4); set(op::STACK_GLOBAL, "STACK_GLOBAL", 4);
  set(op::MEMOIZE, "MEMOIZE", 4); set(op::FRAME, "FRAME", 4);
  set(op::BYTEARRAY8, "BYTEARRAY8", 5); set(op::NEXT_BUFFER, "NEXT_BUFFER", 5);
  set(op::READONLY_BUFFER, "READONLY_BUFFER", 5);
  return t;
}
}  // namespace pickle_opcodes_internal

// Indexed by opcode byte.
inline constexpr std::array<PickleOpcodeInfo, 256> kPickleOpcodes =
    pickle_opcodes_internal::MakeTable();

// Whether CPython's unpickler accepts `byte` as the start of an opcode.
constexpr bool IsPickleOpcode(uint8_t byte) { return kPickleOpcodes[byte].name != nullptr; }

// Opcode name for diagnostics ("BINPUT", "STACK_GLOBAL"), or "0x??" if unknown.
std::string PickleOpcodeName(uint8_t opcode);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_PICKLE_OPCODES_H_
