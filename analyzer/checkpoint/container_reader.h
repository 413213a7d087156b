// The Reader shared by the per-container readers (one file per container:
// torch_zip_container.cc, torchscript_container.cc, legacy_container.cc,
// legacy_tar_container.cc, raw_pickle_container.cc, safetensors_container.cc,
// sharded_index_container.cc, distributed_checkpoint_container.cc). Private to
// analyzer/checkpoint: nothing outside includes it; the public entry points
// are in checkpoint_reader.h.
#ifndef PTLINT_ANALYZER_CHECKPOINT_CONTAINER_READER_H_
#define PTLINT_ANALYZER_CHECKPOINT_CONTAINER_READER_H_

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/checkpoint/reader_problem_codes.h"
#include "analyzer/formats/pickle_machine.h"
#include "analyzer/formats/tar_reader.h"
#include "analyzer/formats/zip_reader.h"
#include "analyzer/support/byte_source.h"

namespace ptlint::container_reader {

// torch.save's legacy stream starts with pickle(0x1950a86a20f9469cfc6c), protocol 2.
inline constexpr std::string_view kLegacyMagicPickle(
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
// The same magic number in decimal, as the PickleMachine spells a kBigInt.
inline constexpr std::string_view kLegacyMagicDecimal = "119547037146038801333356";
inline constexpr int64_t kLegacyProtocolVersion = 1001;
inline constexpr std::string_view kLfsPrefix = "version https://git-lfs.github.com/spec/";
inline constexpr uint64_t kSniffBytes = 4096;
// Sharded indexes and small format records are read whole; these caps keep a
// hostile file from making us allocate what it claims.
inline constexpr uint64_t kMaxIndexJsonBytes = 64ull << 20;
inline constexpr uint64_t kMaxSmallRecordBytes = 4096;
// Bounds on walks whose length a hostile file controls.
inline constexpr int kMaxDcpRegions = 100000;
// Candidate pickle starts inside raw bytes that turn out not to be pickles;
// each costs a PickleMachine run, so a hostile blob full of them is capped.
inline constexpr int kMaxFailedPickleProbes = 256;
inline constexpr int kMaxExtraZipPickles = 10000;
inline constexpr int kMaxTarMembers = 100000;
inline constexpr int kMaxShards = 100000;

inline constexpr int64_t kMaxSupportedFileFormatVersion = 10;  // caffe2/serialize/versions.h
inline constexpr int64_t kMinSupportedFileFormatVersion = 1;

// A window into another source, so a member/region can be handed to readers
// that take a ByteSource without copying it.
class SliceByteSource final : public ByteSource {
 public:
  SliceByteSource(const ByteSource& base, uint64_t offset, uint64_t length)
      : base_(base), offset_(offset), length_(length) {}
  uint64_t size() const override { return length_; }
  std::string_view View(uint64_t offset, uint64_t length) const override {
    if (offset >= length_) return {};
    return base_.View(offset_ + offset, std::min(length, length_ - offset));
  }

 private:
  const ByteSource& base_;
  uint64_t offset_;
  uint64_t length_;
};

// How CPython's `_pickle` names a byte it cannot start an opcode with:
// "invalid load key, '%c'." (the character itself; we escape the unprintable).
inline std::string InvalidLoadKeyError(uint8_t byte) {
  std::string shown;
  if (byte >= 0x20 && byte < 0x7f && byte != '\'' && byte != '\\') {
    shown = std::string(1, static_cast<char>(byte));
  } else {
    static const char kHex[] = "0123456789abcdef";
    shown = std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
  }
  return "_pickle.UnpicklingError: invalid load key, '" + shown + "'.";
}

inline std::string Hex(uint64_t value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

inline uint64_t ReadLe(std::string_view bytes, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < bytes.size(); ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  }
  return v;
}

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && (std::isspace(static_cast<unsigned char>(s[e - 1])) || s[e - 1] == '\0')) --e;
  return std::string(s.substr(b, e - b));
}

// Printable excerpt of untrusted bytes for messages.
inline std::string Excerpt(std::string_view s, size_t max = 60) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > max) out += "...";
  return out;
}

// SniffBytes without the tar test: what the file is when tarfile rejects it.
Sniff SniffBytesIgnoringTar(std::string_view head, uint64_t file_size);

inline bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}


class Reader {
 public:
  Reader(Checkpoint& cp, const ReadOptions& options, std::string file, int depth)
      : cp_(cp), options_(options), file_(std::move(file)), depth_(depth) {}

  void Read(const ByteSource& source);
  void ReadDistributedFolder(const std::filesystem::path& folder);

 private:
  void Problem(std::string code, Severity severity, std::string message, std::string hint = {},
               std::string record = {}, int64_t offset = -1, std::string torch_error = {}) {
    cp_.problems.push_back(ReaderProblem{std::move(code), severity, std::move(message),
                                         std::move(hint), std::move(record), offset,
                                         std::move(torch_error)});
  }
  // Runs the machine over one pickle and keeps it; pickle errors become
  // problems naming the record and the absolute offset. Returns its index.
  int AddPickle(std::string record, std::string_view bytes, uint64_t base_offset,
                std::string file = {});
  void ReadNotACheckpoint(Sniff sniff, const ByteSource& source);
  // A pickle torch would unpickle that ptlint could not read: an error
  // problem that the security analysis reports as PTL604 (fail closed).
  void Unvouched(std::string code, std::string message, std::string record, int64_t offset,
                 std::string torch_error = {}) {
    // The code marks the problem for the security analysis (kUnvouchedPickleCode).
    Problem(std::string(kUnvouchedPickleCode), Severity::kError,
            std::move(message) + " [" + code + "]",
            "ptlint could not read this pickle, so nothing vouches for it: do not load the file "
            "until its source re-publishes it",
            std::move(record), offset, std::move(torch_error));
  }
  // Another reading of the same bytes (the one torch falls back to, or the
  // one a stricter reader takes): its pickle goes to unread_pickles, where
  // the security analysis still scans it.
  void AddAlternatePickle(std::string record, std::string_view bytes, uint64_t base_offset,
                          bool only_if_unpicklable);
  // The pickle stream torch's legacy loader reads from byte 0 when the file
  // is not a zip and tarfile rejects it (or fails while extracting).
  void AddLegacyStreamAlternates(const ByteSource& source);
  void ReadZip(const ByteSource& source);
  void ReadOtherDataPkls(const ByteSource& source, const ZipArchive& zip, const std::string& prefix,
                         const ZipEntry* data_pkl);
  void ReadTorchScriptExtras(const ZipArchive& zip, const std::string& folder);
  void ReadLegacy(const ByteSource& source);
  void ReadRawPickle(const ByteSource& source);
  void ReadNumpyArray(const ByteSource& source);
  void ReadTar(const ByteSource& source, const TarListing& listing);
  void ReadTarStorages(const ByteSource& source, uint64_t begin, uint64_t size);
  void ReadTarTensors(const ByteSource& source, uint64_t begin, uint64_t size);
  // Runs the interpreter again after more pickles were added (their globals
  // must be recorded), keeping what the reader learned about storages and
  // dropping the first run's problems so they are not reported twice.
  void Reinterpret(int main_pickle);
  std::pair<size_t, size_t> interpreter_problems_{0, 0};
  void NameTarTensors(int object_pickle);
  // Legacy tar: tensors by their key in the `tensors` member, and which root
  // storage each storage key views (from the `storages` member's views).
  std::map<std::string, TensorInfo> tar_tensors_;
  std::map<std::string, std::string> tar_storage_root_;
  void ReadSafetensorsFile(const ByteSource& source);
  void ReadShardedIndex(const ByteSource& source);
  void ScanPickleRegions(const ByteSource& source, uint64_t from, const std::string& role,
                         const std::string& file);
  std::optional<std::string> ReadSmallRecord(const ZipArchive& zip, const ZipEntry& entry);
  // Keeps [start, end) of a pickle's input in the stream, within the read's
  // budget (ReadOptions::max_kept_pickle_bytes).
  void KeepPickleBytes(PickleStream& stream, std::string_view input, uint64_t base_offset);
  // Fills Checkpoint::unread_pickles: what another loader would unpickle
  // from this file although torch.load does not (see checkpoint.h).
  void ReadUnreadPickles(const ByteSource& source);
  // The archive ReadZip opened, kept for ReadUnreadPickles.
  std::optional<ZipArchive> zip_;
  uint64_t kept_pickle_bytes_ = 0;

  Checkpoint& cp_;
  const ReadOptions& options_;
  std::string file_;
  int depth_;
};

}  // namespace ptlint::container_reader

#endif  // PTLINT_ANALYZER_CHECKPOINT_CONTAINER_READER_H_
