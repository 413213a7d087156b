#include "lsp/transport.h"

#include <cctype>
#include <cstdlib>

namespace ptlint::lsp {

namespace {

bool ReadLine(std::istream& in, std::string* line) {
  line->clear();
  if (!std::getline(in, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Transport::ReadResult StreamTransport::Read(std::string* body) {
  // Headers up to an empty line. Lines starting with '#' are comments (as in
  // clangd), anything but Content-Length is ignored.
  long long length = -1;
  bool saw_header = false;
  std::string line;
  while (true) {
    if (!ReadLine(in_, &line)) return ReadResult::kEof;
    if (line.empty()) {
      if (!saw_header) continue;  // stray blank lines between messages
      break;
    }
    if (line[0] == '#') continue;
    saw_header = true;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (Lower(line.substr(0, colon)) == "content-length") {
      std::string v = line.substr(colon + 1);
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (end != v.c_str() && n >= 0) length = n;
    }
  }
  if (length < 0) {
    *body = "missing Content-Length header";
    return ReadResult::kBadFrame;
  }
  if (static_cast<unsigned long long>(length) > kMaxMessageBytes) {
    in_.ignore(length);
    if (!in_) return ReadResult::kEof;
    *body = "message of " + std::to_string(length) + " bytes is over the limit";
    return ReadResult::kBadFrame;
  }
  body->assign(static_cast<size_t>(length), '\0');
  in_.read(body->data(), length);
  if (in_.gcount() != length) return ReadResult::kEof;
  return ReadResult::kMessage;
}

std::string Frame(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void StreamTransport::Write(const nlohmann::json& message) {
  std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(write_mutex_);
  out_ << Frame(body);
  out_.flush();
}

void FakeTransport::SendRaw(const std::string& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  incoming_.push_back(body);
  cv_.notify_all();
}

Transport::ReadResult FakeTransport::Read(std::string* body) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return closed_ || !incoming_.empty(); });
  if (incoming_.empty()) return ReadResult::kEof;
  *body = std::move(incoming_.front());
  incoming_.pop_front();
  return ReadResult::kMessage;
}

void FakeTransport::Write(const nlohmann::json& message) {
  // Round-trip through text, as the wire would.
  nlohmann::json copy = nlohmann::json::parse(
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::lock_guard<std::mutex> lock(mutex_);
  outgoing_.push_back(std::move(copy));
  cv_.notify_all();
}

void FakeTransport::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  cv_.notify_all();
}

nlohmann::json FakeTransport::WaitFor(const std::function<bool(const nlohmann::json&)>& match,
                                      std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (auto it = outgoing_.begin(); it != outgoing_.end(); ++it) {
      if (match(*it)) {
        nlohmann::json found = std::move(*it);
        outgoing_.erase(it);
        return found;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      // One last look after the timeout.
      for (auto it = outgoing_.begin(); it != outgoing_.end(); ++it) {
        if (match(*it)) {
          nlohmann::json found = std::move(*it);
          outgoing_.erase(it);
          return found;
        }
      }
      return nullptr;
    }
  }
}

nlohmann::json FakeTransport::WaitForResponse(int id, std::chrono::milliseconds timeout) {
  return WaitFor(
      [id](const nlohmann::json& m) {
        return !m.contains("method") && m.contains("id") && m["id"].is_number_integer() &&
               m["id"].get<int>() == id;
      },
      timeout);
}

nlohmann::json FakeTransport::WaitForNotification(const std::string& method,
                                                  std::chrono::milliseconds timeout) {
  return WaitFor(
      [&](const nlohmann::json& m) {
        return m.contains("method") && m["method"] == method && !m.contains("id");
      },
      timeout);
}

std::vector<nlohmann::json> FakeTransport::Written() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {outgoing_.begin(), outgoing_.end()};
}

}  // namespace ptlint::lsp
