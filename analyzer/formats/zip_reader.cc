#include "analyzer/formats/zip_reader.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

#include <zlib.h>

namespace ptlint {

namespace {

// Fixed sizes and signatures from PKWARE's APPNOTE.TXT.
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kLikelyExtra = 64;  // torch's alignment padding and a ZIP64 field
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64EndRecordSize = 56;
constexpr uint64_t kMaxCommentSize = 65535;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kDataDescriptorSig = 0x08074b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kSentinel32 = 0xFFFFFFFFu;
constexpr uint16_t kSentinel16 = 0xFFFFu;

constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagDataDescriptor = 0x0008;
constexpr uint16_t kFlagPatched = 0x0020;
constexpr uint16_t kFlagStrongEncryption = 0x0040;
constexpr uint16_t kFlagMaskedHeaders = 0x2000;

// A hostile archive can make every record anomalous; past this many we keep
// one summary anomaly instead of growing without bound.
constexpr size_t kMaxAnomalies = 1000;

const char* kTruncatedHint =
    "the file is truncated — an interrupted download or save; re-download it "
    "and check its hash";
const char* kCorruptHint =
    "the archive is corrupt or was crafted; re-download or re-save it, and do "
    "not load it until its origin is known";

// Little-endian loads; memcpy compiles to one mov (this runs ~10 times per
// record, 20,000 records per big state dict).
template <class T>
inline T LoadLE(std::string_view s, size_t at) {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, s.data() + at, sizeof v);
  } else {
    for (size_t i = sizeof v; i-- > 0;) v = static_cast<T>((v << 8) | static_cast<uint8_t>(s[at + i]));
  }
  return v;
}
inline uint16_t U16(std::string_view s, size_t at) { return LoadLE<uint16_t>(s, at); }
inline uint32_t U32(std::string_view s, size_t at) { return LoadLE<uint32_t>(s, at); }
inline uint64_t U64(std::string_view s, size_t at) { return LoadLE<uint64_t>(s, at); }

// Record names come from the file: escape what a terminal or JSON consumer
// should not see raw, and cap the length.
std::string Printable(std::string_view name) {
  constexpr size_t kMax = 200;
  std::string out;
  out.reserve(std::min(name.size(), kMax) + 2);
  out += '"';
  for (size_t i = 0; i < name.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string MethodName(uint16_t method) {
  switch (method) {
    case 0: return "0 (stored)";
    case 1: return "1 (shrunk)";
    case 6: return "6 (imploded)";
    case 9: return "9 (deflate64)";
    case 12: return "12 (bzip2)";
    case 14: return "14 (LZMA)";
    case 93: return "93 (zstd)";
    case 95: return "95 (xz)";
    case 98: return "98 (PPMd)";
    case 99: return "99 (AES-encrypted)";
    default: return std::to_string(method);
  }
}

// Appends anomalies, keeping memory bounded on hostile input.
class AnomalySink {
 public:
  explicit AnomalySink(std::vector<ZipAnomaly>& out) : out_(out) {}
  void Add(std::string code, std::string message, uint64_t offset) {
    if (out_.size() < kMaxAnomalies) {
      out_.push_back(ZipAnomaly{std::move(code), std::move(message), offset});
    } else if (out_.size() == kMaxAnomalies) {
      out_.push_back(ZipAnomaly{"zip.too-many-anomalies",
                                "more than " + std::to_string(kMaxAnomalies) +
                                    " anomalies; the rest are not listed",
                                offset});
    }
  }

 private:
  std::vector<ZipAnomaly>& out_;
};

// Values a ZIP64 extra field (id 0x0001) may override. Per APPNOTE 4.5.3 a
// field is present only when the 32-bit header field holds the sentinel, in
// the fixed order: uncompressed size, compressed size, local header offset.
struct Zip64Fields {
  bool found = false;
  bool malformed = false;      // an extra block ran past the extra area
  bool missing_value = false;  // a sentinel had no 64-bit value to go with it
};

Zip64Fields ApplyZip64Extra(std::string_view extra, uint64_t* uncompressed,
                            uint64_t* compressed, uint64_t* local_offset) {
  Zip64Fields result;
  size_t p = 0;
  while (p + 4 <= extra.size()) {
    uint16_t id = U16(extra, p);
    uint16_t len = U16(extra, p + 2);
    if (p + 4 + len > extra.size()) {
      result.malformed = true;
      break;
    }
    if (id == kZip64ExtraId && !result.found) {
      result.found = true;
      std::string_view data = extra.substr(p + 4, len);
      size_t q = 0;
      for (uint64_t* field : {uncompressed, compressed, local_offset}) {
        if (field == nullptr || *field != kSentinel32) continue;
        if (q + 8 > data.size()) {
          result.missing_value = true;
          break;
        }
        *field = U64(data, q);
        q += 8;
      }
    }
    p += 4 + len;
  }
  if (p != extra.size() && !result.malformed) result.malformed = true;
  return result;
}

// True when a ".." path component appears in the name.
bool ClimbsOut(std::string_view name) {
  for (size_t p = name.find(".."); p != std::string_view::npos; p = name.find("..", p + 1)) {
    const bool starts = p == 0 || name[p - 1] == '/';
    const bool ends = p + 2 == name.size() || name[p + 2] == '/';
    if (starts && ends) return true;
  }
  return false;
}

uint64_t NameHash(std::string_view name) {
  return std::hash<std::string_view>{}(name);
}

Error NoCentralDirectory(uint64_t size, const std::string& detail) {
  return MakeError(
      "zip.no-central-directory",
      "PytorchStreamReader failed reading zip archive: failed finding central "
      "directory (" + detail + ")",
      kTruncatedHint, static_cast<int64_t>(size));
}

// miniz's MZ_TOLOWER: ASCII letters only.
inline uint8_t MinizLower(char c) {
  const uint8_t u = static_cast<uint8_t>(c);
  return (u >= 'A' && u <= 'Z') ? static_cast<uint8_t>(u - 'A' + 'a') : u;
}

// Where l and r (of at least n bytes) first differ as raw bytes, from i on:
// equal bytes fold equal, so the shared prefix (a record's "archive/data/")
// is skipped eight bytes at a time.
size_t NextRawDifference(std::string_view l, std::string_view r, size_t i, size_t n) {
  for (; i + 8 <= n; i += 8) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, l.data() + i, 8);
    std::memcpy(&b, r.data() + i, 8);
    if (a != b) break;
  }
  while (i < n && l[i] == r[i]) ++i;
  return i;
}

// mz_zip_filename_compare: case-folded bytes, then length.
int MinizCompare(std::string_view l, std::string_view r) {
  const size_t n = std::min(l.size(), r.size());
  for (size_t i = NextRawDifference(l, r, 0, n); i < n; i = NextRawDifference(l, r, i + 1, n)) {
    const uint8_t a = MinizLower(l[i]), b = MinizLower(r[i]);
    if (a != b) return static_cast<int>(a) - static_cast<int>(b);
  }
  return static_cast<int>(l.size()) - static_cast<int>(r.size());
}

// mz_zip_reader_filename_less.
bool MinizLess(std::string_view l, std::string_view r) {
  const size_t n = std::min(l.size(), r.size());
  for (size_t i = NextRawDifference(l, r, 0, n); i < n; i = NextRawDifference(l, r, i + 1, n)) {
    const uint8_t a = MinizLower(l[i]), b = MinizLower(r[i]);
    if (a != b) return a < b;
  }
  return l.size() < r.size();
}

// mz_zip_reader_sort_central_dir_offsets_by_filename: the same heap sort,
// step for step, so that of duplicate (case-folded) names the binary search
// lands on the copy torch reads.
void SortLikeMiniz(const std::vector<ZipEntry>& entries, std::vector<uint32_t>& indices) {
  const uint64_t size = entries.size();
  indices.resize(size);
  for (uint64_t i = 0; i < size; ++i) indices[i] = static_cast<uint32_t>(i);
  if (size <= 1) return;
  auto less = [&](uint32_t a, uint32_t b) { return MinizLess(entries[a].name, entries[b].name); };
  auto sift = [&](uint64_t root, uint64_t end) {
    for (;;) {
      uint64_t child = (root << 1U) + 1U;
      if (child >= end) break;
      child += ((child + 1U) < end && less(indices[child], indices[child + 1U])) ? 1 : 0;
      if (!less(indices[root], indices[child])) break;
      std::swap(indices[root], indices[child]);
      root = child;
    }
  };
  for (uint64_t start = (size - 2U) >> 1U;; --start) {
    sift(start, size);
    if (start == 0) break;
  }
  for (uint64_t end = size - 1; end > 0; --end) {
    std::swap(indices[end], indices[0]);
    sift(0, end);
  }
}

}  // namespace

bool LooksLikeZip(std::string_view head) {
  if (head.size() < 4) return false;
  uint32_t sig = U32(head, 0);
  return sig == kLocalSig || sig == kEndSig;
}


namespace {

// Step 1a. Where the end-of-central-directory record is. torch reads zips
// with miniz, which scans back from the end of the file and takes the LAST
// "PK\x05\x06" with at least 22 bytes after it, whatever its comment length
// says (mz_zip_reader_locate_header_sig). A stricter reader prefers the
// record whose comment ends exactly at EOF; when the two differ, a comment
// can hold a second end record that points torch to another directory, so
// both are kept (EndRecordChoice::strict_pos) and the caller reads both.
struct EndRecordChoice {
  uint64_t torch_pos = 0;
  std::optional<uint64_t> strict_pos;
};

Result<EndRecordChoice> LocateEndRecord(const ByteSource& source) {
  const uint64_t size = source.size();
  const bool zip_magic = LooksLikeZip(source.View(0, 4));
  if (size < kEndRecordSize) {
    if (!zip_magic) {
      return MakeError("zip.not-zip",
                       "not a zip archive: " + std::to_string(size) +
                           " bytes, too short for a zip end record",
                       "check that this is the checkpoint you meant", 0);
    }
    return NoCentralDirectory(size, "only " + std::to_string(size) + " bytes");
  }
  const uint64_t scan_start =
      size > kEndRecordSize + kMaxCommentSize ? size - kEndRecordSize - kMaxCommentSize : 0;
  const std::string_view tail = source.View(scan_start, size - scan_start);
  int64_t last = -1;    // miniz's choice
  int64_t found = -1;   // the strict choice
  for (size_t i = tail.size() - kEndRecordSize + 1; i-- > 0;) {
    if (tail[i] != 'P' || tail[i + 1] != 'K' || tail[i + 2] != 5 || tail[i + 3] != 6) continue;
    if (last < 0) last = static_cast<int64_t>(i);
    uint64_t comment = U16(tail, i + 20);
    uint64_t end = i + kEndRecordSize + comment;
    if (end == tail.size()) {
      found = static_cast<int64_t>(i);
      break;
    }
    if (end < tail.size() && found < 0) found = static_cast<int64_t>(i);
  }
  if (last < 0) {
    if (!zip_magic) {
      return MakeError("zip.not-zip",
                       "not a zip archive: no local header signature at the start and no "
                       "end-of-central-directory record in the last " +
                           std::to_string(tail.size()) + " bytes",
                       "check that this is the checkpoint you meant", 0);
    }
    return NoCentralDirectory(size, "no end-of-central-directory record in the last " +
                                        std::to_string(tail.size()) + " bytes");
  }
  EndRecordChoice choice;
  choice.torch_pos = scan_start + static_cast<uint64_t>(last);
  if (found >= 0 && found != last) choice.strict_pos = scan_start + static_cast<uint64_t>(found);
  return choice;
}

}  // namespace

Result<ZipArchive> ZipArchive::Open(const ByteSource& source, ZipLimits limits) {
  Result<EndRecordChoice> end = LocateEndRecord(source);
  if (!end.ok()) return end.error();
  Result<ZipArchive> archive = OpenAtEndRecord(source, end->torch_pos, limits);
  if (archive.ok() && end->strict_pos) {
    archive->alternate_end_record_ = end->strict_pos;
    AnomalySink(archive->anomalies_)
        .Add("zip.ambiguous-end-record",
             "the archive has two end-of-central-directory records: torch (miniz) uses the last "
             "one, at offset " + std::to_string(end->torch_pos) +
                 ", while the one whose comment ends the file is at offset " +
                 std::to_string(*end->strict_pos) + "; the two may describe different records",
             end->torch_pos);
  }
  return archive;
}

Result<std::vector<std::string>> ZipArchive::RecordNames(const ByteSource& source,
                                                         ZipLimits limits) {
  Result<EndRecordChoice> end = LocateEndRecord(source);
  if (!end.ok()) return end.error();
  ZipArchive archive;
  archive.source_ = &source;
  archive.limits_ = limits;
  archive.end_record_offset_ = end->torch_pos;
  Result<uint64_t> entry_count = archive.ReadEndRecords(end->torch_pos);
  if (!entry_count.ok()) return entry_count.error();
  Result<bool> directory = archive.ReadCentralDirectory(*entry_count);
  if (!directory.ok()) return directory.error();
  std::vector<std::string> names;
  names.reserve(archive.entries_.size());
  for (ZipEntry& entry : archive.entries_) names.push_back(std::move(entry.name));
  return names;
}

Result<ZipArchive> ZipArchive::OpenAtEndRecord(const ByteSource& source, uint64_t end_record,
                                               ZipLimits limits) {
  ZipArchive archive;
  archive.source_ = &source;
  archive.limits_ = limits;
  archive.end_record_offset_ = end_record;
  Result<uint64_t> entry_count = archive.ReadEndRecords(end_record);
  if (!entry_count.ok()) return entry_count.error();
  Result<bool> directory = archive.ReadCentralDirectory(*entry_count);
  if (!directory.ok()) return directory.error();
  const bool offsets_sorted = archive.CheckLocalHeaders();
  archive.CheckOverlaps(offsets_sorted);
  archive.IndexNames();
  return archive;
}

// Step 1b. The classic end record and, when a locator precedes it, the ZIP64
// one: where the central directory is and how many records it holds.
Result<uint64_t> ZipArchive::ReadEndRecords(uint64_t eocd_pos) {
  const uint64_t size = source_->size();
  AnomalySink anomalies(anomalies_);

  const std::string_view eocd = source_->View(eocd_pos, kEndRecordSize);
  if (eocd.size() < kEndRecordSize || U32(eocd, 0) != kEndSig) {
    return NoCentralDirectory(size, "no end-of-central-directory record at offset " +
                                        std::to_string(eocd_pos));
  }
  const bool exact = eocd_pos + kEndRecordSize + U16(eocd, 20) == size;
  if (eocd_pos + kEndRecordSize + U16(eocd, 20) > size) {
    // miniz does not look at the comment: a file cut inside it still opens.
    anomalies.Add("zip.comment-past-eof",
                  "the end record's comment (" + std::to_string(U16(eocd, 20)) +
                      " bytes) runs past the end of the file: the file was cut after the "
                      "archive's directory",
                  eocd_pos);
  }
  if (!exact && eocd_pos + kEndRecordSize + U16(eocd, 20) < size) {
    uint64_t end = eocd_pos + kEndRecordSize + U16(eocd, 20);
    anomalies.Add("zip.trailing-bytes",
                  std::to_string(size - end) +
                      " bytes follow the end-of-central-directory record and its comment "
                      "(data appended to the archive)",
                  end);
  }
  uint64_t disk = U16(eocd, 4);
  uint64_t cd_disk = U16(eocd, 6);
  uint64_t entries_on_disk = U16(eocd, 8);
  uint64_t entry_count = U16(eocd, 10);
  uint64_t cd_size = U32(eocd, 12);
  uint64_t cd_offset = U32(eocd, 16);
  // Where the central directory must end: at the ZIP64 end record if any,
  // else at the classic end record.
  uint64_t cd_end_expected = eocd_pos;

  const bool wants_zip64 = disk == kSentinel16 || cd_disk == kSentinel16 ||
                           entries_on_disk == kSentinel16 || entry_count == kSentinel16 ||
                           cd_size == kSentinel32 || cd_offset == kSentinel32;
  std::string_view locator;
  if (eocd_pos >= kZip64LocatorSize) {
    locator = source_->View(eocd_pos - kZip64LocatorSize, kZip64LocatorSize);
    if (U32(locator, 0) != kZip64LocatorSig) locator = {};
  }
  if (!locator.empty()) {
    const uint64_t locator_pos = eocd_pos - kZip64LocatorSize;
    const uint64_t record_pos = U64(locator, 8);
    std::string_view record;
    if (record_pos <= locator_pos && locator_pos - record_pos >= kZip64EndRecordSize) {
      record = source_->View(record_pos, kZip64EndRecordSize);
      if (U32(record, 0) != kZip64EndSig) record = {};
    }
    if (record.empty()) {
      if (wants_zip64) {
        return MakeError("zip.bad-zip64",
                         "the ZIP64 end-of-central-directory locator at offset " +
                             std::to_string(locator_pos) + " points to offset " +
                             std::to_string(record_pos) +
                             ", where there is no ZIP64 end record",
                         kCorruptHint, static_cast<int64_t>(locator_pos));
      }
      anomalies.Add("zip.bad-zip64",
                    "a ZIP64 locator points to offset " + std::to_string(record_pos) +
                        " where there is no ZIP64 end record; the classic end record is used",
                    locator_pos);
    } else {
      disk = U32(record, 16);
      cd_disk = U32(record, 20);
      entries_on_disk = U64(record, 24);
      entry_count = U64(record, 32);
      cd_size = U64(record, 40);
      cd_offset = U64(record, 48);
      cd_end_expected = record_pos;
    }
  }

  if (disk != 0 || cd_disk != 0) {
    return MakeError("zip.multi-disk",
                     "the archive claims to be part of a multi-disk (split) zip (disk " +
                         std::to_string(disk) + ", central directory on disk " +
                         std::to_string(cd_disk) + "); torch cannot read split archives",
                     "join the parts into one archive, or re-save the checkpoint",
                     static_cast<int64_t>(eocd_pos));
  }
  if (entries_on_disk != entry_count) {
    anomalies.Add("zip.entry-count-mismatch",
                  "the end record says " + std::to_string(entries_on_disk) +
                      " records on this disk but " + std::to_string(entry_count) + " in total",
                  eocd_pos);
  }
  if (cd_offset > size || cd_size > size - cd_offset) {
    return MakeError("zip.bad-central-directory",
                     "the central directory (offset " + std::to_string(cd_offset) + ", " +
                         std::to_string(cd_size) + " bytes) runs past the end of the file (" +
                         std::to_string(size) + " bytes)",
                     kTruncatedHint, static_cast<int64_t>(eocd_pos));
  }
  if (cd_offset + cd_size > cd_end_expected) {
    return MakeError("zip.bad-central-directory",
                     "the central directory (offset " + std::to_string(cd_offset) + ", " +
                         std::to_string(cd_size) + " bytes) overlaps the end record at offset " +
                         std::to_string(cd_end_expected),
                     kCorruptHint, static_cast<int64_t>(eocd_pos));
  }
  if (cd_offset + cd_size < cd_end_expected) {
    // Either bytes were prepended to the archive (then the directory really
    // sits right before the end record, shifted), or something is hidden
    // between the directory and the end record.
    const uint64_t shift = cd_end_expected - (cd_offset + cd_size);
    const std::string_view stated = source_->View(cd_offset, 4);
    const bool stated_ok =
        entry_count == 0 || (stated.size() == 4 && U32(stated, 0) == kCentralSig);
    std::string_view shifted = source_->View(cd_offset + shift, 4);
    if (!stated_ok && shifted.size() == 4 && U32(shifted, 0) == kCentralSig) {
      return MakeError(
          "zip.prepended-data",
          std::to_string(shift) +
              " bytes were prepended to the zip archive: its central directory is at offset " +
              std::to_string(cd_offset + shift) + ", not at the stated " +
              std::to_string(cd_offset) +
              "; torch cannot read it as a zip, and a file that is two formats at once "
              "is a polyglot",
          "treat the file as suspicious; re-save the checkpoint from a trusted source",
          static_cast<int64_t>(cd_offset));
    }
    anomalies.Add("zip.gap-before-end-record",
                  std::to_string(shift) +
                      " bytes lie between the end of the central directory and the end record "
                      "(hidden data)",
                  cd_offset + cd_size);
  }
  if (entry_count > limits_.max_entries) {
    return MakeError("zip.limit.entries",
                     "the archive declares " + std::to_string(entry_count) +
                         " records, more than the limit of " +
                         std::to_string(limits_.max_entries),
                     "raise the record limit if the archive is trusted",
                     static_cast<int64_t>(eocd_pos));
  }
  if (entry_count > cd_size / kCentralHeaderSize) {
    return MakeError("zip.bad-central-directory",
                     "the end record declares " + std::to_string(entry_count) +
                         " records but the " + std::to_string(cd_size) +
                         "-byte central directory can hold at most " +
                         std::to_string(cd_size / kCentralHeaderSize),
                     kCorruptHint, static_cast<int64_t>(eocd_pos));
  }
  cd_offset_ = cd_offset;
  cd_size_ = cd_size;
  return entry_count;
}

Result<bool> ZipArchive::ReadCentralDirectory(uint64_t entry_count) {
  AnomalySink anomalies(anomalies_);
  // 2. The central directory.
  const uint64_t cd_offset = cd_offset_;
  const uint64_t cd_size = cd_size_;
  const std::string_view cd = source_->View(cd_offset, cd_size);
  entries_.reserve(static_cast<size_t>(entry_count));
  size_t pos = 0;
  for (uint64_t i = 0; i < entry_count; ++i) {
    const uint64_t at = cd_offset + pos;
    if (cd.size() - pos < kCentralHeaderSize) {
      return MakeError("zip.bad-central-directory",
                       "central directory record " + std::to_string(i) + " of " +
                           std::to_string(entry_count) + " is cut off at offset " +
                           std::to_string(at),
                       kCorruptHint, static_cast<int64_t>(at));
    }
    if (U32(cd, pos) != kCentralSig) {
      return MakeError("zip.bad-central-directory",
                       "central directory record " + std::to_string(i) + " at offset " +
                           std::to_string(at) + " has signature " + Hex32(U32(cd, pos)) +
                           ", not PK\\x01\\x02",
                       kCorruptHint, static_cast<int64_t>(at));
    }
    const uint64_t name_len = U16(cd, pos + 28);
    const uint64_t extra_len = U16(cd, pos + 30);
    const uint64_t comment_len = U16(cd, pos + 32);
    const uint64_t total = kCentralHeaderSize + name_len + extra_len + comment_len;
    if (cd.size() - pos < total) {
      return MakeError("zip.bad-central-directory",
                       "central directory record " + std::to_string(i) + " at offset " +
                           std::to_string(at) + " (name " + std::to_string(name_len) +
                           ", extra " + std::to_string(extra_len) + ", comment " +
                           std::to_string(comment_len) +
                           " bytes) runs past the end of the central directory",
                       kCorruptHint, static_cast<int64_t>(at));
    }
    ZipEntry& entry = entries_.emplace_back();
    entry.name.assign(cd.substr(pos + kCentralHeaderSize, name_len));
    entry.flags = U16(cd, pos + 8);
    entry.method = U16(cd, pos + 10);
    entry.crc32 = U32(cd, pos + 16);
    entry.compressed_size = U32(cd, pos + 20);
    entry.uncompressed_size = U32(cd, pos + 24);
    entry.local_header_offset = U32(cd, pos + 42);
    const std::string_view extra = cd.substr(pos + kCentralHeaderSize + name_len, extra_len);
    const bool has_sentinel = entry.compressed_size == kSentinel32 ||
                              entry.uncompressed_size == kSentinel32 ||
                              entry.local_header_offset == kSentinel32;
    if (extra_len != 0) {
      Zip64Fields z = ApplyZip64Extra(extra, &entry.uncompressed_size, &entry.compressed_size,
                                      &entry.local_header_offset);
      entry.zip64 = z.found;
      if (z.missing_value) {
        return MakeError("zip.bad-zip64",
                         "record " + Printable(entry.name) +
                             " has a 0xFFFFFFFF size or offset but its ZIP64 extra field "
                             "lacks the 64-bit value",
                         kCorruptHint, static_cast<int64_t>(at));
      }
      if (z.malformed) {
        anomalies.Add("zip.bad-extra-field",
                      "the central extra field of record " + Printable(entry.name) +
                          " is malformed (a block runs past its end)",
                      at);
      }
    }
    if (has_sentinel && !entry.zip64) {
      return MakeError("zip.bad-zip64",
                       "record " + Printable(entry.name) +
                           " has a 0xFFFFFFFF size or offset but no ZIP64 extra field",
                       kCorruptHint, static_cast<int64_t>(at));
    }
    pos += total;
  }
  if (pos != cd.size()) {
    anomalies.Add("zip.central-directory-trailing-bytes",
                  std::to_string(cd.size() - pos) +
                      " bytes follow the last central directory record",
                  cd_offset + pos);
  }

  return true;
}

bool ZipArchive::CheckLocalHeaders() {
  const uint64_t size = source_->size();
  AnomalySink anomalies(anomalies_);
  // 3. Local headers: find each record's data and cross-check the header
  // against its central entry. Lenient readers trust one and ignore the
  // other, which is exactly what scanner-evasion tricks rely on.
  bool offsets_sorted = true;
  std::string header_bytes, rest_bytes, descriptor_bytes;  // Peek's copies, reused
  for (size_t i = 0; i < entries_.size(); ++i) {
    ZipEntry& entry = entries_[i];
    if (i > 0 && entry.local_header_offset < entries_[i - 1].local_header_offset) {
      offsets_sorted = false;
    }
    const uint64_t at = entry.local_header_offset;
    // One read for the header, its name and the extra field torch pads
    // the data's alignment with (at most 63 bytes); a longer extra is read
    // on its own below.
    const std::string_view head =
        source_->Peek(at, kLocalHeaderSize + entry.name.size() + kLikelyExtra, &header_bytes);
    const std::string_view local = head.substr(0, kLocalHeaderSize);
    if (local.size() < kLocalHeaderSize || U32(local, 0) != kLocalSig) {
      entry.local_header_valid = false;
      anomalies.Add("zip.bad-local-header",
                    local.size() < kLocalHeaderSize
                        ? "the local header of record " + Printable(entry.name) +
                              " at offset " + std::to_string(at) +
                              " runs past the end of the file"
                        : "the local header of record " + Printable(entry.name) +
                              " at offset " + std::to_string(at) + " has signature " +
                              Hex32(U32(local, 0)) + ", not PK\\x03\\x04",
                    at);
      continue;
    }
    const uint64_t name_len = U16(local, 26);
    const uint64_t extra_len = U16(local, 28);
    const std::string_view rest =
        kLocalHeaderSize + name_len + extra_len <= head.size()
            ? head.substr(kLocalHeaderSize, name_len + extra_len)
            : source_->Peek(at + kLocalHeaderSize, name_len + extra_len, &rest_bytes);
    if (rest.size() < name_len + extra_len) {
      entry.local_header_valid = false;
      anomalies.Add("zip.bad-local-header",
                    "the local header of record " + Printable(entry.name) + " at offset " +
                        std::to_string(at) + " runs past the end of the file",
                    at);
      continue;
    }
    entry.data_offset = at + kLocalHeaderSize + name_len + extra_len;
    if (!entry.zip64 && extra_len != 0) {
      // Writers such as Python's force_zip64 put the ZIP64 extra only in the
      // local header when the central values fit in 32 bits.
      const std::string_view local_extra = rest.substr(name_len);
      for (size_t p = 0; p + 4 <= local_extra.size(); p += 4 + U16(local_extra, p + 2)) {
        if (U16(local_extra, p) == kZip64ExtraId) {
          entry.zip64 = true;
          break;
        }
      }
    }
    const std::string_view local_name = rest.substr(0, name_len);
    if (local_name != entry.name) {
      anomalies.Add("zip.name-mismatch",
                    "record " + Printable(entry.name) + " is named " + Printable(local_name) +
                        " in its local header; readers that trust the local header see a "
                        "different file",
                    at);
    }
    const uint16_t local_flags = U16(local, 6);
    const uint16_t local_method = U16(local, 8);
    if (local_method != entry.method) {
      anomalies.Add("zip.method-mismatch",
                    "record " + Printable(entry.name) + " has method " +
                        MethodName(entry.method) + " in the central directory but " +
                        MethodName(local_method) + " in its local header",
                    at);
    }
    if (local_flags != entry.flags) {
      anomalies.Add("zip.flags-mismatch",
                    "record " + Printable(entry.name) + " has flags " +
                        std::to_string(entry.flags) + " in the central directory but " +
                        std::to_string(local_flags) + " in its local header",
                    at);
    }
    const uint16_t any_flags = entry.flags | local_flags;
    if (any_flags & kFlagEncrypted) {
      anomalies.Add("zip.encrypted-flag",
                    "record " + Printable(entry.name) +
                        " has the encryption flag (bit 0) set; readers disagree on such "
                        "records (some refuse them, some read the bytes as plain), which hides "
                        "them from scanners",
                    at);
    }
    if (any_flags & (kFlagPatched | kFlagStrongEncryption | kFlagMaskedHeaders)) {
      anomalies.Add("zip.unsupported-flags",
                    "record " + Printable(entry.name) + " has flags " +
                        std::to_string(any_flags) +
                        " (patched data, strong encryption or masked headers) that torch "
                        "archives never use",
                    at);
    }
    if (!(local_flags & kFlagDataDescriptor)) {
      uint64_t local_compressed = U32(local, 18);
      uint64_t local_uncompressed = U32(local, 22);
      if (local_compressed == kSentinel32 || local_uncompressed == kSentinel32) {
        Zip64Fields z = ApplyZip64Extra(rest.substr(name_len), &local_uncompressed,
                                        &local_compressed, nullptr);
        if (!z.found || z.missing_value) {
          anomalies.Add("zip.bad-zip64",
                        "the local header of record " + Printable(entry.name) +
                            " has a 0xFFFFFFFF size but no usable ZIP64 extra field",
                        at);
        }
      }
      if (local_compressed != entry.compressed_size ||
          local_uncompressed != entry.uncompressed_size) {
        anomalies.Add("zip.local-size-mismatch",
                      "record " + Printable(entry.name) + " is " +
                          std::to_string(entry.compressed_size) + "/" +
                          std::to_string(entry.uncompressed_size) +
                          " bytes (compressed/uncompressed) in the central directory but " +
                          std::to_string(local_compressed) + "/" +
                          std::to_string(local_uncompressed) + " in its local header",
                      at);
      }
      if (U32(local, 14) != entry.crc32) {
        anomalies.Add("zip.local-crc-mismatch",
                      "record " + Printable(entry.name) + " has CRC " + Hex32(entry.crc32) +
                          " in the central directory but " + Hex32(U32(local, 14)) +
                          " in its local header",
                      at);
      }
    }
    if ((local_flags & kFlagDataDescriptor) && entry.data_offset <= size &&
        entry.compressed_size <= size - entry.data_offset) {
      // The descriptor after the data repeats CRC and sizes; its signature
      // is optional (APPNOTE 4.3.9.3). Only the CRC is compared: the sizes
      // may be 4 or 8 bytes wide depending on the writer.
      const uint64_t dd_at = entry.data_offset + entry.compressed_size;
      std::string_view dd = source_->Peek(dd_at, 8, &descriptor_bytes);
      if (dd.size() == 8) {
        const uint32_t crc = U32(dd, 0) == kDataDescriptorSig ? U32(dd, 4) : U32(dd, 0);
        const bool other_crc = U32(dd, 0) == kDataDescriptorSig && U32(dd, 0) == entry.crc32;
        if (crc != entry.crc32 && !other_crc) {
          anomalies.Add("zip.data-descriptor-mismatch",
                        "record " + Printable(entry.name) + " has CRC " + Hex32(entry.crc32) +
                            " in the central directory but " + Hex32(crc) +
                            " in its data descriptor",
                        dd_at);
        }
      }
    }
    if (entry.data_offset > size || entry.compressed_size > size - entry.data_offset) {
      anomalies.Add("zip.data-past-eof",
                    "the data of record " + Printable(entry.name) + " (" +
                        std::to_string(entry.compressed_size) + " bytes at offset " +
                        std::to_string(entry.data_offset) + ") runs past the end of the file",
                    entry.data_offset);
    }
    if (entry.name.find('\0') != std::string::npos) {
      anomalies.Add("zip.suspicious-name",
                    "record name " + Printable(entry.name) +
                        " contains a NUL byte; readers cut it at different places",
                    at);
    } else if (!entry.name.empty() &&
               (entry.name[0] == '/' || ClimbsOut(entry.name))) {
      anomalies.Add("zip.suspicious-name",
                    "record name " + Printable(entry.name) +
                        " is absolute or climbs out of the archive (path traversal on "
                        "extraction)",
                    at);
    }
  }

  return offsets_sorted;
}

void ZipArchive::CheckOverlaps(bool offsets_sorted) {
  const uint64_t size = source_->size();
  const uint64_t cd_offset = cd_offset_;
  const uint64_t cd_size = cd_size_;
  AnomalySink anomalies(anomalies_);
  // 4. Overlaps: every record's [local header, end of data) must be disjoint
  // from the others and from the central directory. Overlapping records are
  // the zip-bomb and "two names, one payload" tricks.
  // Torch writes records in offset order, so the sort (and its index
  // vector) is only needed for archives that are not.
  std::vector<uint32_t> order;
  if (!offsets_sorted) {
    order.resize(entries_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return entries_[a].local_header_offset < entries_[b].local_header_offset;
    });
  }
  uint64_t reach = 0;
  size_t reach_index = 0;
  bool first = true;
  for (size_t k = 0; k < entries_.size(); ++k) {
    const size_t i = offsets_sorted ? k : order[k];
    const ZipEntry& e = entries_[i];
    if (!e.local_header_valid) continue;
    const uint64_t begin = e.local_header_offset;
    const uint64_t end = std::min(size, e.data_offset + std::min(e.compressed_size, size));
    if (!first && begin < reach) {
      anomalies.Add("zip.overlapping-entries",
                    "record " + Printable(e.name) + " at offset " + std::to_string(begin) +
                        " overlaps record " + Printable(entries_[reach_index].name) +
                        ", which extends to offset " + std::to_string(reach),
                    begin);
    }
    first = false;
    if (end > reach) {
      reach = end;
      reach_index = i;
    }
    if (begin < cd_offset + cd_size && end > cd_offset) {
      anomalies.Add("zip.overlapping-entries",
                    "record " + Printable(e.name) + " overlaps the central directory at offset " +
                        std::to_string(cd_offset),
                    begin);
    }
  }

}

void ZipArchive::IndexNames() {
  AnomalySink anomalies(anomalies_);
  SortLikeMiniz(entries_, torch_sorted_);
  // 5. Name index (open addressing over entry indices) and duplicate names.
  size_t buckets = 16;
  while (buckets < entries_.size() * 2) buckets <<= 1;
  by_name_.assign(buckets, std::numeric_limits<uint32_t>::max());
  for (size_t i = 0; i < entries_.size(); ++i) {
    const std::string& name = entries_[i].name;
    size_t slot = NameHash(name) & (buckets - 1);
    while (true) {
      uint32_t& cell = by_name_[slot];
      if (cell == std::numeric_limits<uint32_t>::max()) {
        cell = static_cast<uint32_t>(i);
        break;
      }
      if (entries_[cell].name == name) {
        anomalies.Add("zip.duplicate-name",
                      "record name " + Printable(name) +
                          " appears more than once; readers disagree on which copy they use",
                      entries_[i].local_header_offset);
        break;
      }
      slot = (slot + 1) & (buckets - 1);
    }
  }
}


const ZipEntry* ZipArchive::FindLikeTorch(std::string_view name) const {
  // mz_zip_locate_file_binary_search. The name is a C string in torch.
  name = name.substr(0, name.find('\0'));
  int64_t l = 0, h = static_cast<int64_t>(torch_sorted_.size()) - 1;
  while (l <= h) {
    const int64_t m = l + ((h - l) >> 1);
    const uint32_t index = torch_sorted_[static_cast<size_t>(m)];
    const int comp = MinizCompare(entries_[index].name, name);
    if (comp == 0) return &entries_[index];
    if (comp < 0) {
      l = m + 1;
    } else {
      h = m - 1;
    }
  }
  return nullptr;
}

std::vector<const ZipEntry*> ZipArchive::FindAllIgnoringCase(std::string_view name) const {
  std::vector<const ZipEntry*> out;
  for (const ZipEntry& e : entries_) {
    if (e.name.size() == name.size() && MinizCompare(e.name, name) == 0) out.push_back(&e);
  }
  return out;
}

const ZipEntry* ZipArchive::Find(std::string_view name) const {
  if (by_name_.empty()) return nullptr;
  const size_t mask = by_name_.size() - 1;
  size_t slot = NameHash(name) & mask;
  while (true) {
    uint32_t cell = by_name_[slot];
    if (cell == std::numeric_limits<uint32_t>::max()) return nullptr;
    if (entries_[cell].name == name) return &entries_[cell];
    slot = (slot + 1) & mask;
  }
}

Result<std::string_view> ZipArchive::ViewStored(const ZipEntry& entry) const {
  if (source_ == nullptr) {
    return MakeError("zip.no-archive", "the zip archive was not opened");
  }
  if (!entry.local_header_valid) {
    return MakeError("zip.bad-local-header",
                     "record " + Printable(entry.name) + " has no valid local header at offset " +
                         std::to_string(entry.local_header_offset),
                     kCorruptHint, static_cast<int64_t>(entry.local_header_offset));
  }
  if (entry.method != 0) {
    return MakeError("zip.not-stored",
                     "record " + Printable(entry.name) + " is compressed with method " +
                         MethodName(entry.method) + ", not stored",
                     "", static_cast<int64_t>(entry.local_header_offset));
  }
  if (entry.compressed_size != entry.uncompressed_size) {
    return MakeError("zip.size-mismatch",
                     "stored record " + Printable(entry.name) + " has compressed size " +
                         std::to_string(entry.compressed_size) + " but uncompressed size " +
                         std::to_string(entry.uncompressed_size),
                     kCorruptHint, static_cast<int64_t>(entry.local_header_offset));
  }
  const uint64_t size = source_->size();
  if (entry.data_offset > size || entry.compressed_size > size - entry.data_offset) {
    return MakeError("zip.data-past-eof",
                     "the data of record " + Printable(entry.name) + " (" +
                         std::to_string(entry.compressed_size) + " bytes at offset " +
                         std::to_string(entry.data_offset) + ") runs past the end of the file (" +
                         std::to_string(size) + " bytes)",
                     kTruncatedHint, static_cast<int64_t>(entry.data_offset));
  }
  return source_->View(entry.data_offset, entry.compressed_size);
}

namespace {

uint32_t Crc32(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

}  // namespace

Result<std::string> ZipArchive::Read(const ZipEntry& entry) const {
  return ReadImpl(entry, nullptr);
}

Result<std::string> ZipArchive::ReadIgnoringCrc(const ZipEntry& entry, bool* crc_mismatch) const {
  bool ignored = false;
  return ReadImpl(entry, crc_mismatch != nullptr ? crc_mismatch : &ignored);
}

Result<std::string> ZipArchive::ReadImpl(const ZipEntry& entry, bool* crc_mismatch) const {
  if (crc_mismatch != nullptr) *crc_mismatch = false;
  if (source_ == nullptr) {
    return MakeError("zip.no-archive", "the zip archive was not opened");
  }
  const int64_t at = static_cast<int64_t>(entry.local_header_offset);
  if (entry.flags & (kFlagEncrypted | kFlagStrongEncryption)) {
    return MakeError("zip.encrypted",
                     "record " + Printable(entry.name) +
                         " is encrypted (flag bit 0 or 6); torch archives are never encrypted",
                     "treat the file as suspicious; re-save the checkpoint from a trusted source",
                     at);
  }
  if (entry.method != 0 && entry.method != 8) {
    return MakeError("zip.unsupported-method",
                     "record " + Printable(entry.name) + " uses compression method " +
                         MethodName(entry.method) +
                         "; torch archives use only 0 (stored) and 8 (deflate)",
                     "re-save the checkpoint with torch.save", at);
  }
  if (entry.uncompressed_size > limits_.max_inflated) {
    return MakeError("zip.limit.inflated",
                     "record " + Printable(entry.name) + " declares " +
                         std::to_string(entry.uncompressed_size) +
                         " uncompressed bytes, more than the limit of " +
                         std::to_string(limits_.max_inflated),
                     "raise the inflate limit if the archive is trusted", at);
  }
  std::string out;
  if (entry.method == 0) {
    Result<std::string_view> view = ViewStored(entry);
    if (!view.ok()) return view.error();
    out.assign(view.value());
  } else {
    if (!entry.local_header_valid) {
      return MakeError("zip.bad-local-header",
                       "record " + Printable(entry.name) +
                           " has no valid local header at offset " +
                           std::to_string(entry.local_header_offset),
                       kCorruptHint, at);
    }
    const uint64_t size = source_->size();
    if (entry.data_offset > size || entry.compressed_size > size - entry.data_offset) {
      return MakeError("zip.data-past-eof",
                       "the compressed data of record " + Printable(entry.name) + " (" +
                           std::to_string(entry.compressed_size) + " bytes at offset " +
                           std::to_string(entry.data_offset) +
                           ") runs past the end of the file (" + std::to_string(size) +
                           " bytes)",
                       kTruncatedHint, static_cast<int64_t>(entry.data_offset));
    }
    const std::string_view in = source_->View(entry.data_offset, entry.compressed_size);
    // Inflate at most the declared size (itself within max_inflated, checked
    // above): a record that inflates past what it declares is cut off there,
    // so a lying header cannot make us produce more than the limit.
    const uint64_t cap = entry.uncompressed_size;
    // Deflate cannot expand by more than ~1032:1, so a lying uncompressed
    // size cannot make us reserve more than the data could produce.
    const uint64_t plausible = std::min<uint64_t>(cap + 1, in.size() * 1032 + 64);
    out.resize(static_cast<size_t>(std::max<uint64_t>(plausible, 64)));

    z_stream zs{};
    if (inflateInit2(&zs, -15) != Z_OK) {
      return MakeError("zip.inflate", "zlib could not initialise an inflate stream");
    }
    uint64_t consumed = 0;
    uint64_t produced = 0;
    int rc = Z_OK;
    while (true) {
      if (zs.avail_in == 0 && consumed < in.size()) {
        const uint64_t chunk = std::min<uint64_t>(in.size() - consumed, 1u << 30);
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
        zs.avail_in = static_cast<uInt>(chunk);
        consumed += chunk;
      }
      if (produced == out.size()) {
        // One byte past the cap tells "exactly at the limit" from "over it".
        if (produced > cap) break;
        out.resize(static_cast<size_t>(
            std::min<uint64_t>(cap + 1, std::max<uint64_t>(out.size() * 2, 1 << 16))));
      }
      const uint64_t room = std::min<uint64_t>(out.size() - produced, 1u << 30);
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      zs.avail_out = static_cast<uInt>(room);
      rc = inflate(&zs, Z_NO_FLUSH);
      produced += room - zs.avail_out;
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == in.size()) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    }
    std::string zmsg = zs.msg != nullptr ? zs.msg : "";
    inflateEnd(&zs);
    if (produced > cap) {
      return MakeError("zip.size-mismatch",
                       "record " + Printable(entry.name) + " inflates to more than the " +
                           std::to_string(cap) + " bytes its central directory entry declares (" +
                           std::to_string(entry.compressed_size) +
                           " compressed bytes); a lying size is a zip-bomb trick",
                       "do not load the file; re-download it from a trusted source",
                       static_cast<int64_t>(entry.data_offset));
    }
    if (rc != Z_STREAM_END) {
      return MakeError("zip.bad-deflate",
                       "the deflate data of record " + Printable(entry.name) +
                           (rc == Z_BUF_ERROR || rc == Z_OK
                                ? std::string(" ends before the end of the deflate stream")
                                : " is corrupt: " + zmsg),
                       kCorruptHint, static_cast<int64_t>(entry.data_offset));
    }
    out.resize(static_cast<size_t>(produced));
  }
  if (out.size() != entry.uncompressed_size) {
    return MakeError("zip.size-mismatch",
                     "record " + Printable(entry.name) + " holds " + std::to_string(out.size()) +
                         " bytes but the central directory says " +
                         std::to_string(entry.uncompressed_size),
                     kCorruptHint, static_cast<int64_t>(entry.data_offset));
  }
  const uint32_t crc = Crc32(out);
  if (crc != entry.crc32 && crc_mismatch != nullptr) {
    *crc_mismatch = true;
  } else if (crc != entry.crc32) {
    return MakeError("zip.crc-mismatch",
                     "record " + Printable(entry.name) + " has CRC-32 " + Hex32(crc) +
                         " but the central directory says " + Hex32(entry.crc32) +
                         "; the bytes were changed after the archive was written",
                     "re-download the file and check its hash; a deliberate CRC mismatch is a "
                     "known scanner-evasion trick (CVE-2025-10156)",
                     static_cast<int64_t>(entry.data_offset));
  }
  return out;
}

}  // namespace ptlint
