#include "analyzer/support/byte_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
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
  MappedFile(const char* data, uint64_t size, int fd) : data_(data), size_(size), fd_(fd) {}
  ~MappedFile() override {
    if (data_ != nullptr && size_ > 0) munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) close(fd_);
  }
  uint64_t size() const override { return size_; }
  std::string_view View(uint64_t offset, uint64_t length) const override {
    if (offset >= size_) return {};
    uint64_t n = std::min<uint64_t>(length, size_ - offset);
    return std::string_view(data_ + offset, n);
  }
  std::string_view Peek(uint64_t offset, uint64_t length, std::string* scratch) const override {
    if (offset >= size_) return {};
    const uint64_t n = std::min<uint64_t>(length, size_ - offset);
    if (fd_ < 0 || n > kMaxPeek) return View(offset, n);
    scratch->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = pread(fd_, scratch->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return View(offset, n);  // the mapping then says what the file holds
      got += static_cast<size_t>(r);
    }
    return *scratch;
  }

 private:
  static constexpr uint64_t kMaxPeek = 64 * 1024;
  const char* data_;
  uint64_t size_;
  int fd_;  // kept open for Peek; -1 for an empty file
};

}  // namespace

std::string FileTypeDescription(uint32_t st_mode) {
  switch (st_mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
  }
}

namespace {

// Opens `path` for reading without ever blocking: O_NONBLOCK makes open(2)
// of a FIFO with no writer return at once (instead of waiting for one), and
// the fstat below refuses it before any read could wait for data. A device
// is refused the same way, before a read could stream from it forever.
Result<int> OpenRegular(const std::string& path, struct stat* st) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENXIO || err == EOPNOTSUPP) {  // a socket, or a FIFO/device open refuses
      return MakeError("io.not-a-file", path + " is not a regular file (" + std::strerror(err) + ")",
                       "name the checkpoint file itself; ptlint reads only regular files");
    }
    return MakeError("io.open", "cannot open " + path + ": " + std::strerror(err),
                     "check the path and its permissions");
  }
  if (fstat(fd, st) != 0) {
    int err = errno;
    close(fd);
    return MakeError("io.open", "cannot stat " + path + ": " + std::strerror(err));
  }
  if (!S_ISREG(st->st_mode)) {
    close(fd);
    return MakeError("io.not-a-file",
                     path + " is " + FileTypeDescription(st->st_mode) + ", not a regular file; ptlint does not read it",
                     "name the checkpoint or source file itself; pipes, sockets and devices are never read");
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenFileByteSource(const std::string& path) {
  struct stat st {};
  Result<int> opened = OpenRegular(path, &st);
  if (!opened.ok()) return opened.error();
  int fd = opened.value();
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
  if (size == 0) {
    close(fd);
    fd = -1;
  }
  return std::unique_ptr<ByteSource>(new MappedFile(data, size, fd));
}

namespace {

// Reads `fd` (a regular file: reads never wait) to EOF, or until it holds
// more than `limit` bytes (*over is then set).
bool ReadUpTo(int fd, size_t hint, uint64_t limit, std::string* out, bool* over) {
  out->clear();
  *over = false;
  if (hint > 0 && hint <= limit) out->reserve(hint);
  char buffer[65536];
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (got == 0) return true;
    if (static_cast<uint64_t>(out->size()) + static_cast<uint64_t>(got) > limit) {
      *over = true;
      return true;
    }
    out->append(buffer, static_cast<size_t>(got));
  }
}

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  Result<int> opened = OpenRegular(path, &st);
  if (!opened.ok()) return opened.error();
  int fd = opened.value();
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    close(fd);
    return MakeError("io.too-large", path + " is " + std::to_string(st.st_size) + " bytes, above the " +
                                         std::to_string(max_bytes) + "-byte limit");
  }
  std::string out;
  bool over = false;
  bool ok = ReadUpTo(fd, static_cast<size_t>(st.st_size), max_bytes, &out, &over);
  int err = errno;
  close(fd);
  if (!ok) return MakeError("io.read", "cannot read " + path + ": " + std::strerror(err));
  if (over) {
    return MakeError("io.too-large", path + " grew above the " + std::to_string(max_bytes) +
                                         "-byte limit while it was read");
  }
  return out;
}

Result<FileHead> ReadRegularFileHead(const std::string& path, size_t n) {
  struct stat st {};
  Result<int> opened = OpenRegular(path, &st);
  if (!opened.ok()) return opened.error();
  int fd = opened.value();
  FileHead head;
  head.size = static_cast<uint64_t>(st.st_size);
  head.bytes.resize(n);
  size_t have = 0;
  while (have < n) {
    ssize_t got = read(fd, head.bytes.data() + have, n - have);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    have += static_cast<size_t>(got);
  }
  close(fd);
  head.bytes.resize(have);
  return head;
}

}  // namespace ptlint
