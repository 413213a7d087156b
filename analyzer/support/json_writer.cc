#include "analyzer/support/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ptlint {

namespace {

using ojson = nlohmann::ordered_json;

constexpr char kNewlineSpaces[] = "\n                                                ";
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

// 16 bytes as one vector (signed, so that bytes >= 0x80 are negative).
typedef signed char Bytes16 __attribute__((vector_size(16)));
typedef uint64_t Words16 __attribute__((vector_size(16)));

// All-ones in the lanes whose byte JSON escapes ('"', '\\', < 0x20) or that
// are not ASCII (>= 0x80, negative here): one compare catches both ranges.
inline Bytes16 CareLanes(Bytes16 v) {
  return (v < 0x20) | (v == '"') | (v == '\\');
}

// Nonzero when a lane is set.
inline uint64_t AnyLane(Bytes16 lanes) {
  Words16 w;
  std::memcpy(&w, &lanes, 16);
  return w[0] | w[1];
}

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

namespace {

// "\n" and the indentation `indent` at d; for a shallow depth one
// fixed-size copy from the table (writing up to kRunSlack bytes).
char* NewlineIndentAt(char* d, size_t indent) {
  static_assert(sizeof(kNewlineSpaces) > JsonWriter::kRunSlack);
  if (indent < JsonWriter::kRunSlack) {
    std::memcpy(d, kNewlineSpaces, JsonWriter::kRunSlack);
  } else {
    *d = '\n';
    std::memset(d + 1, ' ', indent);
  }
  return d + 1 + indent;
}

}  // namespace

void JsonWriter::Newline(size_t depth) {
  if (indent_ < 0) return;
  size_t indent = depth * static_cast<size_t>(indent_);
  char* d = Room(1 + indent + kRunSlack);
  len_ = static_cast<size_t>(NewlineIndentAt(d, indent) - buf_.get());
}

// The separator before a member or array element: "," but for the first
// and, when pretty printing, the newline and indentation. Leaves room for
// `room` more bytes (and kRunSlack) after it.
void JsonWriter::Separator(size_t room) {
  bool comma = counts_.back()++ > 0;
  size_t indent = indent_ >= 0 ? counts_.size() * static_cast<size_t>(indent_) : 0;
  char* d = Room(2 + indent + room + kRunSlack);
  *d = ',';
  d += comma ? 1 : 0;
  if (indent_ >= 0) d = NewlineIndentAt(d, indent);
  len_ = static_cast<size_t>(d - buf_.get());
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (counts_.empty()) return;  // the document's root value
  Separator(0);  // in an array
}

void JsonWriter::Key(std::string_view key) {
  Separator(0);
  Run run(*this, key.size() + 4);
  run.String(key);
  run.Char(':');
  if (indent_ >= 0) run.Char(' ');
  after_key_ = true;
}

void JsonWriter::LiteralKey(const char* key, size_t n) {
  Separator(n + 4);
  char* d = buf_.get() + len_;
  *d++ = '"';
  CopySmall(d, key, n);
  d += n;
  std::memcpy(d, "\": ", 3);
  d += indent_ >= 0 ? 3 : 2;
  len_ = static_cast<size_t>(d - buf_.get());
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
  if (n > 0) Newline(counts_.size());
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
  if (n > 0) Newline(counts_.size());
  PutChar(']');
}

// The slow path of strings (Run::String copies the clean ones).
void JsonWriter::AppendEscaped(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  uint8_t worst = 0;
  for (size_t i = 0; i < n; ++i) worst |= kByteClass.v[p[i]];
  if (worst & 2) {
    // Non-ASCII: nlohmann's own escaping (UTF-8 validation, U+FFFD for
    // invalid bytes), into a string of its own (a sink writer may flush its
    // buffer in the middle); then without its quotes.
    std::string quoted = ojson(std::string(s)).dump(-1, ' ', false, ojson::error_handler_t::replace);
    Put(quoted.data() + 1, quoted.size() - 2);
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
  Run run(*this, s.size() + 2);
  run.String(s);
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  Run run(*this, 20);
  run.Int(v);
}

void JsonWriter::UInt(uint64_t v) {
  BeforeValue();
  Run run(*this, 20);
  run.UInt(v);
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

// The elements of an array of strings or ints, each with one capacity check
// (record_names and top_level_keys hold one string per tensor).
void JsonWriter::StringArray(const std::vector<std::string>& items) {
  BeginArray();
  if (!items.empty()) {
    const Piece first(NewlineIndent(0)), next(NewlineIndent(0, ","));
    for (size_t i = 0; i < items.size(); ++i) {
      Run run(*this, next.size() + items[i].size() + 2);
      run.Put(i == 0 ? first : next);
      run.String(items[i]);
    }
    counts_.back() = items.size();
  }
  EndArray();
}

void JsonWriter::IntArray(const std::vector<int64_t>& items) {
  BeginArray();
  if (!items.empty()) {
    const Piece first(NewlineIndent(0)), next(NewlineIndent(0, ","));
    for (size_t i = 0; i < items.size(); ++i) {
      Run run(*this, next.size() + 20);
      run.Put(i == 0 ? first : next);
      run.Int(items[i]);
    }
    counts_.back() = items.size();
  }
  EndArray();
}

JsonWriter::Piece::Piece(std::string_view text) : size_(text.size()) {
  if (size_ <= kRunSlack) {
    std::memcpy(short_, text.data(), size_);
  } else {
    long_ = text;
  }
}

std::string JsonWriter::NewlineIndent(size_t extra_depth, std::string_view before) const {
  std::string s(before);
  if (indent_ < 0) return s;
  s += '\n';
  s.append((counts_.size() + extra_depth) * static_cast<size_t>(indent_), ' ');
  return s;
}

void JsonWriter::Run::EscapedString(std::string_view s) {
  // The checked path, then the same room again: `bound_` still covers what
  // the rest of the run writes.
  w_.len_ = static_cast<size_t>(p_ - w_.buf_.get());
  w_.PutChar('"');
  w_.AppendEscaped(s);
  w_.PutChar('"');
  p_ = w_.Room(bound_ + kRunSlack);
  limit_ = p_ + bound_;
}

void JsonWriter::Run::Overran() {
  const size_t end = static_cast<size_t>(p_ - w_.buf_.get());
  const size_t over = static_cast<size_t>(p_ - limit_);
  if (end <= w_.cap_ && w_.cap_ - end >= kRunSlack) {
    assert(false && "a Run wrote more than its bound");
    return;
  }
  std::fprintf(stderr,
               "ptlint: internal error: a JSON writer run wrote %zu bytes past its bound and "
               "out of its buffer; stopping instead of writing a report from corrupt memory\n",
               over);
  std::abort();
}

char* JsonWriter::QuoteIfClean(char* d, const char* s, size_t n) {
  // 16 bytes at a time: copied, and tested together with a vector compare
  // (GCC/Clang vector extensions: SSE2 on x86-64, NEON on ARM). Bytes are
  // read only inside [s, s + n): the last block overlaps the one before it,
  // and a string shorter than a block is read in overlapping halves (the
  // rest of the block is 'a', which needs nothing).
  uint64_t care;
  *d++ = '"';
  if (n > 16) {
    Bytes16 any{};
    size_t i = 0;
    for (; i + 16 < n; i += 16) {
      Bytes16 v;
      std::memcpy(&v, s + i, 16);
      std::memcpy(d + i, &v, 16);
      any |= CareLanes(v);
    }
    Bytes16 v;
    std::memcpy(&v, s + n - 16, 16);
    std::memcpy(d + n - 16, &v, 16);
    care = AnyLane(any | CareLanes(v));
  } else {
    constexpr uint64_t kPlain = 0x6161616161616161ull;  // "aaaaaaaa"
    uint64_t lo = kPlain, hi = kPlain;
    if (n >= 8) {
      std::memcpy(&lo, s, 8);
      std::memcpy(&hi, s + n - 8, 8);
      std::memcpy(d, &lo, 8);
      std::memcpy(d + n - 8, &hi, 8);
    } else if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
      lo = a | uint64_t{b} << 32;
    } else if (n > 0) {
      unsigned char a = static_cast<unsigned char>(s[0]);
      unsigned char b = static_cast<unsigned char>(s[n / 2]);
      unsigned char c = static_cast<unsigned char>(s[n - 1]);
      d[0] = static_cast<char>(a);
      d[n / 2] = static_cast<char>(b);
      d[n - 1] = static_cast<char>(c);
      lo = a | uint64_t{b} << 8 | uint64_t{c} << 16 | (kPlain << 24);
    }
    Words16 words = {lo, hi};
    Bytes16 v;
    std::memcpy(&v, &words, 16);
    care = AnyLane(CareLanes(v));
  }
  if (care != 0) return nullptr;
  d[n] = '"';
  return d + n + 1;
}

char* JsonWriter::WriteInt(char* d, int64_t v) { return std::to_chars(d, d + 20, v).ptr; }

char* JsonWriter::WriteUInt(char* d, uint64_t v) { return std::to_chars(d, d + 20, v).ptr; }

}  // namespace ptlint
