#include "analyzer/support/byte_source.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ptlint {

std::string_view MemoryByteSource::View(uint64_t offset, uint64_t length) const {
  if (offset >= bytes_.size()) return {};
  uint64_t n = std::min<uint64_t>(length, bytes_.size() - offset);
  return std::string_view(bytes_).substr(offset, n);
}

namespace {

class MappedFile final : public ByteSource {
 public:
  MappedFile(const char* data, uint64_t size) : data_(data), size_(size) {}
  ~MappedFile() override {
    if (data_ != nullptr && size_ > 0) munmap(const_cast<char*>(data_), size_);
  }
  uint64_t size() const override { return size_; }
  std::string_view View(uint64_t offset, uint64_t length) const override {
    if (offset >= size_) return {};
    uint64_t n = std::min<uint64_t>(length, size_ - offset);
    return std::string_view(data_ + offset, n);
  }

 private:
  const char* data_;
  uint64_t size_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenFileByteSource(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError("io.open", "cannot open " + path + ": " + std::strerror(errno),
                     "check the path and its permissions");
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return MakeError("io.not-a-file", path + " is not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  const char* data = nullptr;
  if (size > 0) {
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      close(fd);
      return MakeError("io.mmap", "cannot map " + path + ": " + std::strerror(errno));
    }
    data = static_cast<const char*>(p);
  }
  close(fd);
  return std::unique_ptr<ByteSource>(new MappedFile(data, size));
}

}  // namespace ptlint
