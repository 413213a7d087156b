// ByteSource: read-only access to a file's bytes.
//
// Readers take a ByteSource instead of a path so tests can hand them bytes in
// memory (FakeByteSource) and the CLI can map a multi-GiB checkpoint without
// reading it: the readers only touch headers and pickles, never tensor data.
#ifndef PTLINT_ANALYZER_SUPPORT_BYTE_SOURCE_H_
#define PTLINT_ANALYZER_SUPPORT_BYTE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "analyzer/support/result.h"

namespace ptlint {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // The bytes in [offset, offset + length), clipped to the end of the source.
  // The view stays valid as long as the source lives.
  virtual std::string_view View(uint64_t offset, uint64_t length) const = 0;
  std::string_view All() const { return View(0, size()); }
  // The same bytes as View, for a few scattered bytes read once (a zip
  // record's local header): a mapped file copies them into `scratch` with
  // pread instead of touching its mapping, since a page fault costs ~10 us
  // under virtualisation and a checkpoint has one header per tensor, most
  // on a page of their own. The view lives until `scratch` changes.
  virtual std::string_view Peek(uint64_t offset, uint64_t length, std::string* scratch) const {
    (void)scratch;
    return View(offset, length);
  }
};

// A source over bytes the caller owns or hands over (tests, inflated records).
class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(std::string bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  std::string_view View(uint64_t offset, uint64_t length) const override;

 private:
  std::string bytes_;
};

// Maps a regular file read-only (mmap); an empty file maps to an empty view.
// Every open here is O_NONBLOCK and checked with fstat before a byte is read,
// so a FIFO, socket or device named as a checkpoint (or reached through a
// symlink) is refused with "io.not-a-file" instead of blocking the run.
Result<std::unique_ptr<ByteSource>> OpenFileByteSource(const std::string& path);

// The whole of a regular file (sources, JSON indexes), read to EOF: the size
// is only a hint, the file may change while it is read. Refuses what is not
// a regular file ("io.not-a-file") and files over `max_bytes`
// ("io.too-large").
Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes = UINT64_MAX);

// The first `n` bytes of a regular file and its size, for sniffing.
struct FileHead {
  std::string bytes;
  uint64_t size = 0;
};
Result<FileHead> ReadRegularFileHead(const std::string& path, size_t n);

// "a FIFO (named pipe)", "a socket", "a character device", ... for a
// st_mode that is not a regular file; "a regular file" otherwise.
std::string FileTypeDescription(uint32_t st_mode);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_BYTE_SOURCE_H_
