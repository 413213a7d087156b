#include "analyzer/support/byte_source.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

fs::path TempPath(const std::string& name) {
  return fs::temp_directory_path() / ("ptlint_bs_" + std::to_string(::getpid()) + "_" + name);
}

// A FIFO with no writer: a blocking open(2) would wait forever. Every entry
// point refuses it at once, and says what it is.
TEST(ByteSourceTest, FifoIsRefusedWithoutBlocking) {
  fs::path fifo = TempPath("pipe.pt");
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto started = std::chrono::steady_clock::now();
  auto mapped = OpenFileByteSource(fifo.string());
  auto whole = ReadRegularFile(fifo.string());
  auto head = ReadRegularFileHead(fifo.string(), 16);
  auto elapsed = std::chrono::steady_clock::now() - started;
  fs::remove(fifo);
  ASSERT_FALSE(mapped.ok());
  ASSERT_FALSE(whole.ok());
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(mapped.error().code, "io.not-a-file");
  EXPECT_NE(mapped.error().message.find("is a FIFO (named pipe)"), std::string::npos) << mapped.error().message;
  EXPECT_EQ(whole.error().code, "io.not-a-file");
  EXPECT_EQ(head.error().code, "io.not-a-file");
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(ByteSourceTest, SocketIsRefused) {
  fs::path path = TempPath("sock.pt");
  fs::remove(path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto opened = OpenFileByteSource(path.string());
  ::close(fd);
  fs::remove(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "io.not-a-file");
}

// A device streams forever (/dev/zero): refused before any read.
TEST(ByteSourceTest, DeviceIsRefused) {
  auto whole = ReadRegularFile("/dev/zero");
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.error().message.find("a character device"), std::string::npos) << whole.error().message;
  EXPECT_FALSE(OpenFileByteSource("/dev/zero").ok());
}

TEST(ByteSourceTest, ReadsRegularFilesWholeAndBounded) {
  fs::path path = TempPath("a.py");
  std::ofstream(path, std::ios::binary) << std::string(100000, 'a');
  auto whole = ReadRegularFile(path.string());
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->size(), 100000u);
  auto head = ReadRegularFileHead(path.string(), 10);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->bytes, "aaaaaaaaaa");
  EXPECT_EQ(head->size, 100000u);
  auto capped = ReadRegularFile(path.string(), 1000);
  fs::remove(path);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, "io.too-large");
}

// Peek reads a mapped file with pread: the same bytes View gives, clipped
// at the end of the file, nothing past it; a long read falls back to the
// mapping. A memory source answers from its own bytes.
TEST(ByteSourceTest, PeekReadsWhatViewMaps) {
  fs::path path = TempPath("peek.pt");
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes += static_cast<char>('a' + i % 23);
  std::ofstream(path, std::ios::binary) << bytes;
  auto mapped = OpenFileByteSource(path.string());
  fs::remove(path);  // the open file and its mapping stay readable
  ASSERT_TRUE(mapped.ok());
  const ByteSource& source = **mapped;
  std::string scratch;
  for (uint64_t offset : {0ull, 1ull, 4095ull, 4096ull, 123457ull, 199990ull}) {
    SCOPED_TRACE(offset);
    EXPECT_EQ(source.Peek(offset, 94, &scratch), source.View(offset, 94));
  }
  EXPECT_EQ(source.Peek(199990, 94, &scratch), bytes.substr(199990));
  EXPECT_TRUE(source.Peek(200000, 10, &scratch).empty());
  EXPECT_TRUE(source.Peek(UINT64_MAX, 10, &scratch).empty());
  EXPECT_EQ(source.Peek(1000, 150000, &scratch), std::string_view(bytes).substr(1000, 150000));
  MemoryByteSource memory(bytes);
  EXPECT_EQ(memory.Peek(5, 10, &scratch), bytes.substr(5, 10));
}

}  // namespace
}  // namespace ptlint
