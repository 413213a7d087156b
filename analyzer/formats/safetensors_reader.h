// SafetensorsReader: validates a .safetensors header the way the reference
// implementation (safetensors' Rust crate) does, without reading tensor data.
//
// Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the
// byte buffer. Checks: header-size cap (100 MB, as upstream), JSON object,
// no duplicate keys, known dtypes, shape x dtype size == data_offsets span,
// offsets sorted, contiguous from 0 and covering the whole buffer exactly,
// `__metadata__` a str->str map.
#ifndef PTLINT_ANALYZER_FORMATS_SAFETENSORS_READER_H_
#define PTLINT_ANALYZER_FORMATS_SAFETENSORS_READER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/support/byte_source.h"
#include "analyzer/support/result.h"

namespace ptlint {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;              // as written: "F32", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;             // data_offsets, relative to the buffer start
  uint64_t end = 0;
};

// Something the reference implementation accepts but a careful reader
// should know about (e.g. an unknown field in a tensor entry, which serde
// ignores). Not an error: the file loads.
struct SafetensorsNote {
  std::string code;               // e.g. "safetensors.unknown-field"
  std::string message;
  int64_t offset = -1;
};

struct SafetensorsFile {
  uint64_t header_size = 0;
  uint64_t buffer_offset = 0;                     // 8 + header_size
  std::map<std::string, std::string> metadata;    // __metadata__
  std::vector<SafetensorsTensor> tensors;         // in data-offset order
  std::vector<SafetensorsNote> notes;             // non-fatal findings
};

// Errors: "safetensors.too-small", "safetensors.header-too-large",
// "safetensors.bad-json", "safetensors.duplicate-key", "safetensors.bad-dtype",
// "safetensors.size-mismatch", "safetensors.offsets-not-contiguous",
// "safetensors.buffer-size", ...
Result<SafetensorsFile> ReadSafetensors(const ByteSource& source);

// Element size in bytes for a safetensors dtype string, 0 if unknown. The
// sub-byte types (F4, F6_E2M3, F6_E3M2) have no whole-byte size and also give
// 0 here; use SafetensorsDtypeBits for them.
uint64_t SafetensorsDtypeSize(std::string_view dtype);
// Element size in bits (4 for F4, 6 for F6_*, 8 for U8, ...), 0 if unknown.
uint64_t SafetensorsDtypeBits(std::string_view dtype);

// The reference implementation's cap on the JSON header (MAX_HEADER_SIZE).
inline constexpr uint64_t kSafetensorsMaxHeaderSize = 100'000'000;

// True when the first bytes look like a safetensors file: a plausible u64 size
// followed by '{'.
bool LooksLikeSafetensors(std::string_view head, uint64_t file_size);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_SAFETENSORS_READER_H_
