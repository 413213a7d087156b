// libFuzzer target: ReadSafetensors on arbitrary bytes. Checks the
// invariants a valid result promises, so a silently wrong accept is a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analyzer/formats/safetensors_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ptlint::MemoryByteSource source(std::string(reinterpret_cast<const char*>(data), size));
  (void)ptlint::LooksLikeSafetensors(source.View(0, 16), size);
  ptlint::Result<ptlint::SafetensorsFile> file = ptlint::ReadSafetensors(source);
  if (!file.ok()) {
    if (file.error().code.empty()) __builtin_trap();
    return 0;
  }
  // A valid file: offsets contiguous from 0 to the end of the buffer.
  uint64_t expected = 0;
  for (const ptlint::SafetensorsTensor& t : file->tensors) {
    if (t.begin != expected || t.end < t.begin) __builtin_trap();
    if (ptlint::SafetensorsDtypeBits(t.dtype) == 0) __builtin_trap();
    expected = t.end;
  }
  if (file->buffer_offset + expected != size) __builtin_trap();
  return 0;
}
