#include "lsp/transport.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

namespace ptlint::lsp {

namespace {

constexpr size_t kChunk = 64 << 10;
constexpr size_t kMaxHeaderLine = 8 << 10;  // a longer "header" line is garbage
constexpr char kName[] = "content-length";
constexpr size_t kNameSize = sizeof(kName) - 1;

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// A byte count: 1 to 18 decimal digits, nothing else.
std::optional<uint64_t> ParseLength(std::string_view v) {
  v = Trim(v);
  if (v.empty() || v.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::string Printable(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (v.size() > 40) out += "...";
  return out;
}

}  // namespace

bool FrameReader::Fill() {
  if (eof_) return false;
  size_t old = buf_.size();
  buf_.resize(old + kChunk);
  size_t n = source_(buf_.data() + old, kChunk);
  buf_.resize(old + n);
  if (n == 0) eof_ = true;
  return n > 0;
}

void FrameReader::Compact() {
  if (pos_ == 0) return;
  if (pos_ >= buf_.size()) {
    buf_.clear();
  } else if (pos_ >= (1u << 20) || pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
  } else {
    return;
  }
  pos_ = 0;
}

size_t FrameReader::FindHeader(size_t from, size_t* resume) const {
  const size_t end = buf_.size();
  for (size_t i = from; i < end; ++i) {
    if (Lower(buf_[i]) != 'c') continue;
    if (end - i < kNameSize) {
      *resume = i;
      return std::string::npos;
    }
    if (!EqualsLower(std::string_view(buf_.data() + i, kNameSize), kName)) continue;
    // "Content-Length" [ \t]* ":" value "\r"? "\n", all on one short line.
    size_t nl = buf_.find('\n', i + kNameSize);
    if (nl == std::string::npos) {
      if (end - i > 64) continue;  // too long for a header line
      *resume = i;
      return std::string::npos;
    }
    if (nl - i > 64) continue;
    std::string_view rest(buf_.data() + i + kNameSize, nl - i - kNameSize);
    if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
    rest = Trim(rest);
    if (rest.empty() || rest.front() != ':') continue;
    if (!ParseLength(rest.substr(1))) continue;
    return i;
  }
  *resume = end > kNameSize ? std::max(from, end - kNameSize) : from;
  return std::string::npos;
}

bool FrameReader::SeekHeader(size_t from) {
  size_t resume = std::max(from, pos_);
  while (true) {
    size_t found = FindHeader(resume, &resume);
    if (found != std::string::npos) {
      pos_ = found;
      return true;
    }
    // Nothing before `resume` can start a header: drop it (bounded memory
    // whatever the client sends).
    pos_ = resume;
    Compact();
    resume = pos_;
    if (!Fill()) return false;
  }
}

Transport::ReadResult FrameReader::Read(std::string* body) {
  while (true) {
    Compact();
    if (seek_) {
      seek_ = false;
      if (!SeekHeader(pos_)) return ReadResult::kEof;
    }
    // Headers up to an empty line. Lines starting with '#' are comments (as
    // in clangd); headers other than Content-Length are ignored.
    std::optional<uint64_t> length;
    std::string bad_length;
    bool saw_header = false;
    bool garbage = false;
    size_t cur = pos_;
    while (true) {
      size_t nl = buf_.find('\n', cur);
      if (nl == std::string::npos) {
        if (buf_.size() - cur > kMaxHeaderLine) {
          garbage = true;
          break;
        }
        if (!Fill()) return ReadResult::kEof;
        continue;
      }
      std::string_view line(buf_.data() + cur, nl - cur);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      size_t line_start = cur;
      cur = nl + 1;
      if (line.empty()) {
        if (!saw_header) {
          pos_ = cur;  // stray blank lines between messages
          continue;
        }
        break;
      }
      if (line[0] == '#') continue;
      size_t colon = line.find(':');
      std::string_view name = colon == std::string_view::npos ? line : line.substr(0, colon);
      bool token = colon != std::string_view::npos && !name.empty() &&
                   std::all_of(name.begin(), name.end(), IsTokenChar);
      if (!token) {
        // Not a header: the rest of a body whose Content-Length was too
        // short, or garbage. A header may still start inside this line.
        pos_ = line_start;
        garbage = true;
        break;
      }
      saw_header = true;
      if (EqualsLower(name, kName)) {
        std::string_view value = line.substr(colon + 1);
        length = ParseLength(value);
        if (!length) bad_length = std::string(Trim(value));
      }
    }
    if (garbage) {
      seek_ = true;
      if (quiet_) continue;  // the rest of a frame already reported
      quiet_ = true;
      *body = "bytes that are not a message header (`" +
              Printable(std::string_view(buf_.data() + pos_, std::min<size_t>(buf_.size() - pos_, 40))) +
              "`): skipped to the next Content-Length header";
      return ReadResult::kBadFrame;
    }
    pos_ = cur;  // the body starts here
    if (!length) {
      seek_ = true;
      quiet_ = true;
      *body = bad_length.empty() && saw_header
                  ? std::string("a message without a Content-Length header: skipped to the next header")
                  : "Content-Length `" + Printable(bad_length) +
                        "` is not a byte count: skipped to the next Content-Length header";
      if (!saw_header) *body = "a message without a Content-Length header: skipped to the next header";
      return ReadResult::kBadFrame;
    }
    const uint64_t n = *length;
    const std::string declared = "Content-Length " + std::to_string(n);
    if (n > max_body_) {
      // Skipped without keeping it, but a header inside it means the length
      // was a lie (99999999999999 must not swallow the session).
      uint64_t left = n;
      size_t resume = pos_;
      while (true) {
        size_t found = FindHeader(resume, &resume);
        if (found != std::string::npos && found - pos_ < left) {
          uint64_t got = n - left + (found - pos_);
          pos_ = found;
          quiet_ = true;
          *body = declared + " is over the " + std::to_string(max_body_ >> 20) +
                  " MiB limit and a new header starts " + std::to_string(got) + " bytes in: skipped to it";
          return ReadResult::kBadFrame;
        }
        if (buf_.size() - pos_ >= left) {
          pos_ += left;
          quiet_ = false;
          *body = "a message of " + std::to_string(n) + " bytes is over the " +
                  std::to_string(max_body_ >> 20) + " MiB limit: skipped";
          return ReadResult::kBadFrame;
        }
        size_t drop = resume - pos_;
        left -= drop;
        pos_ = resume;
        Compact();
        resume = pos_;
        if (!Fill()) {
          *body = "a message of " + std::to_string(n) + " bytes is over the " +
                  std::to_string(max_body_ >> 20) + " MiB limit; the input ended inside it";
          return ReadResult::kBadFrame;
        }
      }
    }
    size_t resume = pos_;
    while (true) {
      size_t found = FindHeader(resume, &resume);
      if (found != std::string::npos && found - pos_ < n) {
        size_t got = found - pos_;
        pos_ = found;
        quiet_ = true;
        *body = declared + " is longer than the message: a new header starts after " + std::to_string(got) +
                " bytes; resynchronised on it";
        return ReadResult::kBadFrame;
      }
      if (buf_.size() - pos_ >= n) break;
      if (!Fill()) return ReadResult::kEof;
    }
    body->assign(buf_, pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    quiet_ = false;
    return ReadResult::kMessage;
  }
}

std::string Frame(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

namespace {

std::string Serialize(const nlohmann::json& message) {
  return Frame(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

FdTransport::FdTransport(int in_fd, int out_fd)
    : out_fd_(out_fd), reader_([in_fd](char* buffer, size_t n) -> size_t {
        while (true) {
          ssize_t r = ::read(in_fd, buffer, n);
          if (r >= 0) return static_cast<size_t>(r);
          if (errno != EINTR) return 0;
        }
      }) {}

void FdTransport::Write(const nlohmann::json& message) {
  std::string frame = Serialize(message);
  std::lock_guard<std::mutex> lock(write_mutex_);
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t w = ::write(out_fd_, frame.data() + done, frame.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the client is gone; EOF on stdin ends the session
    done += static_cast<size_t>(w);
  }
}

StreamTransport::StreamTransport(std::istream& in, std::ostream& out)
    : in_(in), out_(out), reader_([this](char* buffer, size_t n) -> size_t {
        std::streambuf* sb = in_.rdbuf();
        if (sb == nullptr || sb->sgetc() == std::char_traits<char>::eof()) return 0;
        std::streamsize avail = std::max<std::streamsize>(1, sb->in_avail());
        return static_cast<size_t>(sb->sgetn(buffer, std::min<std::streamsize>(avail, static_cast<std::streamsize>(n))));
      }) {
  // Reading must never flush `out` from the reader thread (std::cin is tied
  // to std::cout): all writes go through Write's lock.
  in_.tie(nullptr);
}

void StreamTransport::Write(const nlohmann::json& message) {
  std::string frame = Serialize(message);
  std::lock_guard<std::mutex> lock(write_mutex_);
  out_ << frame;
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
