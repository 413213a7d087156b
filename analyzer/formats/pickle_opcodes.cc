#include "analyzer/formats/pickle_opcodes.h"

namespace ptlint {

namespace {
constexpr int CountOpcodes() {
  int n = 0;
  for (const PickleOpcodeInfo& info : kPickleOpcodes) n += info.name != nullptr;
  return n;
}
// pickletools.opcodes has 68 entries (protocols 0-5).
static_assert(CountOpcodes() == 68, "one entry per pickletools opcode");
}  // namespace

std::string PickleOpcodeName(uint8_t opcode) {
  if (const char* name = kPickleOpcodes[opcode].name) return name;
  const char* hex = "0123456789abcdef";
  return std::string("0x") + hex[opcode >> 4] + hex[opcode & 15];
}

}  // namespace ptlint
