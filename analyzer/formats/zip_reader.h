// ZipArchive: a read-only zip reader for torch archives.
//
// torch.save writes STORED records (64-byte aligned, so tensor bytes could be
// mapped in place); torch.jit.save DEFLATEs its code/*.debug_pkl records. The
// reader parses the end-of-central-directory (ZIP64 included), the central
// directory and, on demand, each local header; it cross-checks them and
// reports every inconsistency a lenient reader would silently accept
// (local/central name mismatch, overlapping records, data past the end) as an
// Error or a ZipAnomaly. Tensor data is never read.
#ifndef PTLINT_ANALYZER_FORMATS_ZIP_READER_H_
#define PTLINT_ANALYZER_FORMATS_ZIP_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/support/byte_source.h"
#include "analyzer/support/result.h"

namespace ptlint {

struct ZipEntry {
  std::string name;                 // full name as stored, e.g. "sd/data/0"
  uint16_t method = 0;              // 0 stored, 8 deflate, others unsupported
  uint16_t flags = 0;               // general purpose bit flags
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;         // absolute offset of the record's data (after the local header)
  bool zip64 = false;
  // False when the local header is missing, truncated or has a bad signature;
  // data_offset is then meaningless and ViewStored/Read return an Error
  // ("zip.bad-local-header"). The problem is also listed as a ZipAnomaly.
  bool local_header_valid = true;
};

struct ZipAnomaly {
  std::string code;                 // e.g. "zip.name-mismatch", "zip.crc-mismatch"
  std::string message;
  uint64_t offset = 0;
};

struct ZipLimits {
  uint64_t max_entries = 1'000'000;
  uint64_t max_inflated = 1ull << 30;   // bytes one inflated record may grow to
};

class ZipArchive {
 public:
  // Parses the directory. Errors: "zip.not-zip", "zip.no-central-directory"
  // (the truncated-download case), "zip.bad-central-directory", ...
  static Result<ZipArchive> Open(const ByteSource& source, ZipLimits limits = {});

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::vector<ZipAnomaly>& anomalies() const { return anomalies_; }
  // Returns nullptr when absent. Exact match on the full stored name.
  const ZipEntry* Find(std::string_view name) const;

  // A STORED record's bytes, viewed in place (no copy). Error for other methods
  // or when the record runs past the end of the file. The encryption flag is
  // not honoured here on purpose: a scanner must see the bytes a lying flag
  // bit tries to hide (the flag is reported as a ZipAnomaly at Open).
  Result<std::string_view> ViewStored(const ZipEntry& entry) const;
  // Any supported record's bytes: stored ones copied, deflated ones inflated
  // (bounded by ZipLimits::max_inflated). CRC is checked; a mismatch is an Error.
  // Encrypted records (flag bit 0 or 6) are an Error ("zip.encrypted").
  Result<std::string> Read(const ZipEntry& entry) const;

  // Where the central directory starts and how long it is (after ZIP64
  // resolution); useful for diagnostics.
  uint64_t central_directory_offset() const { return cd_offset_; }
  uint64_t central_directory_size() const { return cd_size_; }

 private:
  const ByteSource* source_ = nullptr;
  ZipLimits limits_;
  std::vector<ZipEntry> entries_;
  std::vector<ZipAnomaly> anomalies_;
  // Indices into entries_ sorted by name (stable: the first of duplicate names
  // comes first), for Find in O(log n). Indices, not views, so copies stay valid.
  std::vector<uint32_t> by_name_;
  uint64_t cd_offset_ = 0;
  uint64_t cd_size_ = 0;
};

// True when the bytes start like a zip local header ("PK\x03\x04") or an
// empty archive's end record ("PK\x05\x06").
bool LooksLikeZip(std::string_view head);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_ZIP_READER_H_
