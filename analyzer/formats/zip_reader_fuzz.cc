// libFuzzer target: ZipArchive::Open, then every record through Find,
// ViewStored and Read, as the checkpoint reader uses them. Any crash, hang,
// sanitizer report or runaway allocation is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analyzer/formats/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ptlint::MemoryByteSource source(std::string(reinterpret_cast<const char*>(data), size));
  ptlint::ZipLimits limits;
  limits.max_entries = 100'000;
  limits.max_inflated = 4u << 20;  // keep each run fast; the bound itself is under test
  ptlint::Result<ptlint::ZipArchive> zip = ptlint::ZipArchive::Open(source, limits);
  if (!zip.ok()) return 0;
  for (const ptlint::ZipEntry& entry : zip->entries()) {
    if (zip->Find(entry.name) == nullptr) __builtin_trap();
    ptlint::Result<std::string_view> view = zip->ViewStored(entry);
    if (view.ok() && view->size() > size) __builtin_trap();
    ptlint::Result<std::string> bytes = zip->Read(entry);
    if (bytes.ok() && bytes->size() > limits.max_inflated) __builtin_trap();
  }
  return 0;
}
