// Transport: how JSON-RPC messages reach the server and leave it (after
// clangd's Transport.h). The server only sees whole message bodies; framing
// lives here.
//
//  - StreamTransport: `Content-Length` framing over a pair of streams (stdio).
//    Defensive: headers other than Content-Length are tolerated, a body over
//    kMaxMessageBytes is skipped and reported, EOF ends the session.
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

class StreamTransport : public Transport {
 public:
  StreamTransport(std::istream& in, std::ostream& out) : in_(in), out_(out) {}
  ReadResult Read(std::string* body) override;
  void Write(const nlohmann::json& message) override;

 private:
  std::istream& in_;
  std::ostream& out_;
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
