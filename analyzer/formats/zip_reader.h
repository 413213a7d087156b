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
#include <optional>
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
  // The end-of-central-directory record is the one torch's miniz uses (the
  // last signature in the file); see alternate_end_record().
  static Result<ZipArchive> Open(const ByteSource& source, ZipLimits limits = {});
  // Parses the archive that the end record at `end_record` describes.
  static Result<ZipArchive> OpenAtEndRecord(const ByteSource& source, uint64_t end_record,
                                            ZipLimits limits = {});
  // The records' names in central-directory order, read as Open reads the
  // directory and failing exactly when Open fails, but without Open's checks
  // of each record's local header (one read per record, most on a page of
  // their own): what discovery needs to tell a torch archive from another zip.
  static Result<std::vector<std::string>> RecordNames(const ByteSource& source,
                                                      ZipLimits limits = {});

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::vector<ZipAnomaly>& anomalies() const { return anomalies_; }
  // Returns nullptr when absent. Exact match on the full stored name.
  const ZipEntry* Find(std::string_view name) const;
  // The record torch's PyTorchStreamReader gets for `name`: miniz's
  // mz_zip_reader_locate_file with flags 0, a binary search over the records
  // heap-sorted by ASCII-case-folded name (so `DATA.PKL` answers for
  // `data.pkl`, and of duplicate names the copy the search lands on).
  const ZipEntry* FindLikeTorch(std::string_view name) const;
  // Every record whose name equals `name` with ASCII case folded, in
  // central-directory order: what another reader might take for it.
  std::vector<const ZipEntry*> FindAllIgnoringCase(std::string_view name) const;

  // A STORED record's bytes, viewed in place (no copy). Error for other methods
  // or when the record runs past the end of the file. The encryption flag is
  // not honoured here on purpose: a scanner must see the bytes a lying flag
  // bit tries to hide (the flag is reported as a ZipAnomaly at Open).
  Result<std::string_view> ViewStored(const ZipEntry& entry) const;
  // Any supported record's bytes: stored ones copied, deflated ones inflated
  // (bounded by ZipLimits::max_inflated). CRC is checked; a mismatch is an Error.
  // Encrypted records (flag bit 0 or 6) are an Error ("zip.encrypted").
  Result<std::string> Read(const ZipEntry& entry) const;
  // The same, but a CRC mismatch is not an error (torch's reader does not
  // check CRCs): the bytes are returned and *crc_mismatch is set.
  Result<std::string> ReadIgnoringCrc(const ZipEntry& entry, bool* crc_mismatch) const;

  // Where the end record used is; and, when another end record (the one
  // whose comment ends exactly at EOF) would be chosen by a stricter reader,
  // where that one is: a reader of the file must look at both archives.
  uint64_t end_record_offset() const { return end_record_offset_; }
  std::optional<uint64_t> alternate_end_record() const { return alternate_end_record_; }

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
  // Entry indices in miniz's sorted order (see FindLikeTorch).
  std::vector<uint32_t> torch_sorted_;
  uint64_t cd_offset_ = 0;
  uint64_t cd_size_ = 0;
  uint64_t end_record_offset_ = 0;
  std::optional<uint64_t> alternate_end_record_;

  // Open's steps, in order.
  Result<uint64_t> ReadEndRecords(uint64_t end_record);    // returns the record count
  Result<bool> ReadCentralDirectory(uint64_t entry_count);
  bool CheckLocalHeaders();                                // returns "offsets ascend"
  void CheckOverlaps(bool offsets_sorted);
  void IndexNames();
  Result<std::string> ReadImpl(const ZipEntry& entry, bool* crc_mismatch) const;
};

// True when the bytes start like a zip local header ("PK\x03\x04") or an
// empty archive's end record ("PK\x05\x06").
bool LooksLikeZip(std::string_view head);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_FORMATS_ZIP_READER_H_
