// Transport: how JSON-RPC messages reach the server and leave it (after
// clangd's Transport.h). The server only sees whole message bodies; framing
// lives here.
//
//  - FdTransport: `Content-Length` framing over raw file descriptors (stdio).
//    `ptlint lsp` uses it: no iostream sits between the threads (std::cin is
//    tied to std::cout, so every read on the reader thread flushed cout
//    outside the write lock and a response could go out twice).
//  - StreamTransport: the same framing over a pair of streams (tests).
//  - FrameReader: the framing both share. Defensive: headers other than
//    Content-Length are tolerated; a wrong, missing, negative or non-numeric
//    Content-Length, garbage between messages and bodies over
//    kMaxMessageBytes are reported (kBadFrame) and the reader resynchronises
//    on the next `Content-Length: N` header line, which no JSON body can
//    contain (JSON strings cannot hold a raw line break); EOF ends the session.
//  - FakeTransport: an in-memory pair for tests: the test pushes bodies in and
//    waits for what the server wrote.
#ifndef PTLINT_LSP_TRANSPORT_H_
#define PTLINT_LSP_TRANSPORT_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <istream>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ptlint::lsp {

inline constexpr size_t kMaxMessageBytes = 64u << 20;

class Transport {
 public:
  virtual ~Transport() = default;
  enum class ReadResult { kMessage, kEof, kBadFrame };
  // Blocks until the next message body. kBadFrame: a frame was skipped (too
  // large, bad header); `body` says why. Called from one thread.
  virtual ReadResult Read(std::string* body) = 0;
  // Writes one message. Thread-safe.
  virtual void Write(const nlohmann::json& message) = 0;
  // Unblocks a pending Read (EOF) when the transport can; a no-op for stdio.
  virtual void Close() {}
};

// Splits a byte stream into message bodies (see the file comment).
class FrameReader {
 public:
  // Reads up to `n` bytes into `buffer`, blocking until at least one is
  // available; 0 at EOF (or on an error).
  using Source = std::function<size_t(char* buffer, size_t n)>;
  using ReadResult = Transport::ReadResult;
  explicit FrameReader(Source source, size_t max_body = kMaxMessageBytes)
      : source_(std::move(source)), max_body_(max_body) {}
  Transport::ReadResult Read(std::string* body);

 private:
  bool Fill();  // appends what the source has; false at EOF
  // Drops input up to the next complete `Content-Length: N` line (searching
  // from `from`); false at EOF.
  bool SeekHeader(size_t from);
  // Position of the first complete Content-Length line in buf_[from, end)
  // (npos if none yet); `resume` is where a later search must start again.
  size_t FindHeader(size_t from, size_t* resume) const;
  void Compact();

  Source source_;
  size_t max_body_;
  std::string buf_;
  size_t pos_ = 0;
  bool seek_ = false;   // the last frame was bad: skip to the next header first
  bool quiet_ = false;  // a bad frame was reported: its leftovers are skipped silently
  bool eof_ = false;
};

class FdTransport : public Transport {
 public:
  FdTransport(int in_fd, int out_fd);
  ReadResult Read(std::string* body) override { return reader_.Read(body); }
  void Write(const nlohmann::json& message) override;

 private:
  int out_fd_;
  FrameReader reader_;
  std::mutex write_mutex_;
};

class StreamTransport : public Transport {
 public:
  StreamTransport(std::istream& in, std::ostream& out);
  ReadResult Read(std::string* body) override { return reader_.Read(body); }
  void Write(const nlohmann::json& message) override;

 private:
  std::istream& in_;
  std::ostream& out_;
  FrameReader reader_;
  std::mutex write_mutex_;
};

// Frames a body for the wire ("Content-Length: N\r\n\r\n" + body).
std::string Frame(const std::string& body);

class FakeTransport : public Transport {
 public:
  // Client side.
  void Send(const nlohmann::json& message) { SendRaw(message.dump()); }
  void SendRaw(const std::string& body);
  // The next message the server wrote that satisfies `match`, removing it
  // (earlier non-matching ones are kept). Null json on timeout.
  nlohmann::json WaitFor(const std::function<bool(const nlohmann::json&)>& match,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  nlohmann::json WaitForResponse(int id, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  nlohmann::json WaitForNotification(const std::string& method,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<nlohmann::json> Written();  // a copy of everything not yet taken

  // Server side.
  ReadResult Read(std::string* body) override;
  void Write(const nlohmann::json& message) override;
  void Close() override;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> incoming_;
  std::deque<nlohmann::json> outgoing_;
  bool closed_ = false;
};

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_TRANSPORT_H_
