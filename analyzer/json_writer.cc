#include "analyzer/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace ptlint {

namespace {

using ojson = nlohmann::ordered_json;

constexpr char kNewlineSpaces[] =
    "\n                                                                "
    "                                                                ";
constexpr size_t kSpaceCount = sizeof(kNewlineSpaces) - 2;  // spaces after the newline
constexpr size_t kSinkBufferBytes = size_t{256} << 10;

// What a byte needs: 0 copy as is, 1 escape (ASCII), 2 non-ASCII (nlohmann decides).
constexpr uint8_t ByteClass(unsigned char c) {
  if (c >= 0x80) return 2;
  if (c < 0x20 || c == '"' || c == '\\') return 1;
  return 0;
}

struct ByteClassTable {
  uint8_t v[256];
  constexpr ByteClassTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = ByteClass(static_cast<unsigned char>(i));
  }
};
constexpr ByteClassTable kByteClass;

}  // namespace

// nlohmann's serializer writing into the writer's buffer.
struct JsonWriter::Fallback {
  struct Adapter final : nlohmann::detail::output_adapter_protocol<char> {
    explicit Adapter(JsonWriter* w) : writer(w) {}
    void write_character(char c) override { writer->PutChar(c); }
    void write_characters(const char* s, std::size_t length) override { writer->Put(s, length); }
    JsonWriter* writer;
  };
  explicit Fallback(JsonWriter* w)
      : adapter(std::make_shared<Adapter>(w)),
        serializer(adapter, ' ', ojson::error_handler_t::replace) {}
  nlohmann::detail::output_adapter_t<char> adapter;
  nlohmann::detail::serializer<ojson> serializer;
};

JsonWriter::JsonWriter(int indent) : indent_(indent) { counts_.reserve(16); }

JsonWriter::JsonWriter(std::string& out, int indent) : out_(&out), indent_(indent) {
  counts_.reserve(16);
}

JsonWriter::JsonWriter(std::ostream& sink, int indent) : sink_(&sink), indent_(indent) {
  counts_.reserve(16);
  Grow(kSinkBufferBytes);
}

JsonWriter::~JsonWriter() { Finish(); }

void JsonWriter::Finish() {
  if (len_ == 0) return;
  if (out_ != nullptr) {
    out_->append(buf_.get(), len_);
    len_ = 0;
  } else if (sink_ != nullptr) {
    sink_->write(buf_.get(), static_cast<std::streamsize>(len_));
    len_ = 0;
  }
}

void JsonWriter::Reserve(size_t bytes) {
  if (sink_ != nullptr) return;  // a streaming writer never needs the whole document
  if (bytes > cap_ - len_) Grow(bytes);
}

void JsonWriter::Grow(size_t need) {
  if (sink_ != nullptr && len_ > 0) {
    Finish();  // the buffer is reused: only a piece bigger than it grows it
    if (need <= cap_) return;
  }
  size_t cap = std::max<size_t>({cap_ * 2, len_ + need, 4096});
  std::unique_ptr<char[]> bigger(new char[cap]);
  if (len_ > 0) std::memcpy(bigger.get(), buf_.get(), len_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

void JsonWriter::Newline(size_t depth) {
  // "\n" and the indentation in one copy while it fits the table.
  size_t n = depth * static_cast<size_t>(indent_);
  if (n < kSpaceCount) {
    Put(kNewlineSpaces, n + 1);
    return;
  }
  PutChar('\n');
  while (n > 0) {
    size_t k = n < kSpaceCount ? n : kSpaceCount;
    Put(kNewlineSpaces + 1, k);
    n -= k;
  }
}

namespace {

// Room a Separator write may overshoot by (whole words of spaces).
constexpr size_t kSlack = 8;

}  // namespace

// The separator before a member or array element (",") and, when pretty
// printing, the newline and indentation, followed by `tail` (n bytes): one
// capacity check and word-sized stores, as this runs for every value of a
// 15 MB report.
void JsonWriter::Separator(const char* tail, size_t n) {
  bool comma = counts_.back()++ > 0;
  size_t indent = indent_ >= 0 ? counts_.size() * static_cast<size_t>(indent_) : 0;
  if (indent >= kSpaceCount) {  // deeper than the table: the general path
    if (comma) PutChar(',');
    Newline(counts_.size());
    Put(tail, n);
    return;
  }
  size_t need = 2 + indent + n + kSlack;
  if (need > cap_ - len_) Grow(need);
  char* d = buf_.get() + len_;
  *d = ',';
  d += comma ? 1 : 0;
  if (indent_ >= 0) {
    *d++ = '\n';
    const uint64_t spaces = 0x2020202020202020ull;
    for (size_t k = 0; k < indent; k += 8) std::memcpy(d + k, &spaces, 8);  // may overshoot
    d += indent;
  }
  CopySmall(d, tail, n);
  d += n;
  len_ = static_cast<size_t>(d - buf_.get());
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (counts_.empty()) return;  // the document's root value
  Separator("", 0);  // in an array
}

void JsonWriter::Key(std::string_view key) {
  Separator("\"", 1);
  AppendEscaped(key);
  if (indent_ >= 0) {
    Put("\": ", 3);
  } else {
    Put("\":", 2);
  }
  after_key_ = true;
}

void JsonWriter::LiteralKey(const char* key, size_t n) {
  // `"` key `": ` in one piece when it fits a small buffer (keys are names).
  char piece[64];
  if (n + 4 > sizeof piece) {
    Separator("\"", 1);
    Put(key, n);
    Put(indent_ >= 0 ? "\": " : "\":", indent_ >= 0 ? 3 : 2);
  } else {
    piece[0] = '"';
    std::memcpy(piece + 1, key, n);
    std::memcpy(piece + 1 + n, "\": ", 3);
    Separator(piece, n + (indent_ >= 0 ? 4 : 3));
  }
  after_key_ = true;
}

void JsonWriter::BeginObject() {
  BeforeValue();
  PutChar('{');
  counts_.push_back(0);
}

void JsonWriter::EndObject() {
  uint64_t n = counts_.back();
  counts_.pop_back();
  if (n > 0 && indent_ >= 0) Newline(counts_.size());
  PutChar('}');
}

void JsonWriter::BeginArray() {
  BeforeValue();
  PutChar('[');
  counts_.push_back(0);
}

void JsonWriter::EndArray() {
  uint64_t n = counts_.back();
  counts_.pop_back();
  if (n > 0 && indent_ >= 0) Newline(counts_.size());
  PutChar(']');
}

// True when one of the 8 bytes of `w` is < 0x20, '"', '\\' or >= 0x80
// (exact: the classic "has a zero / less-than byte" tests).
static inline bool WordNeedsCare(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  uint64_t quote = w ^ (kOnes * '"');
  uint64_t backslash = w ^ (kOnes * '\\');
  uint64_t t = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
               ((backslash - kOnes) & ~backslash) | w;
  return (t & kHigh) != 0;
}

void JsonWriter::AppendEscaped(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  // Most texts need no escaping: check 8 bytes at a time (the tail padded
  // with a harmless 'a'), then copy.
  size_t i = 0;
  bool care = false;
  for (; i + 8 <= n && !care; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    care = WordNeedsCare(w);
  }
  if (!care && i < n) {
    uint64_t w;
    if (n >= 8) {
      std::memcpy(&w, p + n - 8, 8);  // the last 8 bytes, overlapping checked ones
    } else {
      unsigned char tail[8] = {'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
      std::memcpy(tail, p, n);
      std::memcpy(&w, tail, 8);
    }
    care = WordNeedsCare(w);
  }
  if (!care) {
    Put(s.data(), n);
    return;
  }
  uint8_t worst = 0;
  for (i = 0; i < n; ++i) worst |= kByteClass.v[p[i]];
  if (worst & 2) {
    // Non-ASCII: nlohmann's own escaping (UTF-8 validation, U+FFFD for
    // invalid bytes). It writes the quotes too; drop them.
    if (!fallback_) fallback_ = std::make_unique<Fallback>(this);
    size_t before = len_;
    fallback_->serializer.dump(ojson(std::string(s)), false, false, 0, 0);
    // dump wrote "<escaped>" at `before`: remove the two quotes.
    std::memmove(buf_.get() + before, buf_.get() + before + 1, len_ - before - 2);
    len_ -= 2;
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = p[i];
    switch (c) {
      case 0x08: Put("\\b", 2); break;
      case 0x09: Put("\\t", 2); break;
      case 0x0a: Put("\\n", 2); break;
      case 0x0c: Put("\\f", 2); break;
      case 0x0d: Put("\\r", 2); break;
      case '"': Put("\\\"", 2); break;
      case '\\': Put("\\\\", 2); break;
      default:
        if (c < 0x20) {
          char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          Put(buf, 6);
        } else {
          PutChar(static_cast<char>(c));
        }
    }
  }
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  PutChar('"');
  AppendEscaped(s);
  PutChar('"');
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  Put(buf, static_cast<size_t>(r.ptr - buf));
}

void JsonWriter::UInt(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  Put(buf, static_cast<size_t>(r.ptr - buf));
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  if (v) {
    Put("true", 4);
  } else {
    Put("false", 5);
  }
}

void JsonWriter::Null() {
  BeforeValue();
  Put("null", 4);
}

void JsonWriter::Value(const ojson& value) {
  BeforeValue();
  if (!fallback_) fallback_ = std::make_unique<Fallback>(this);
  if (indent_ >= 0) {
    fallback_->serializer.dump(value, true, false, static_cast<unsigned>(indent_),
                               static_cast<unsigned>(counts_.size() * indent_));
  } else {
    fallback_->serializer.dump(value, false, false, 0, 0);
  }
}

void JsonWriter::StringArray(const std::vector<std::string>& items) {
  BeginArray();
  for (const std::string& s : items) String(s);
  EndArray();
}

void JsonWriter::IntArray(const std::vector<int64_t>& items) {
  BeginArray();
  for (int64_t v : items) Int(v);
  EndArray();
}

}  // namespace ptlint
