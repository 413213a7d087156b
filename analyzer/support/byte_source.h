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
Result<std::unique_ptr<ByteSource>> OpenFileByteSource(const std::string& path);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_BYTE_SOURCE_H_
