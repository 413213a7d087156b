// JsonWriter: a streaming JSON writer whose output is byte-identical to
// nlohmann::ordered_json::dump(indent, ' ', /*ensure_ascii=*/false,
// error_handler_t::replace) of the same document built as a DOM.
//
// Big documents (an inspect report of a 20,000-tensor state dict is ~15 MB
// of JSON) are written straight into a string instead of through a DOM of
// millions of small allocations. Strings are escaped exactly as nlohmann
// does (pure-ASCII text here; anything with a byte >= 0x80 goes through
// nlohmann's own serializer, so invalid UTF-8 gets the same U+FFFD
// replacement); a nested nlohmann value can be embedded with Value().
// Arrays of many same-shaped objects (a state dict's tensors) are written
// with Run and Piece below: one capacity check per object.
#ifndef PTLINT_ANALYZER_SUPPORT_JSON_WRITER_H_
#define PTLINT_ANALYZER_SUPPORT_JSON_WRITER_H_

#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ptlint {

class JsonWriter {
 public:
  // Writes into an internal buffer (see view()). `indent` < 0 writes the
  // compact form (dump() without an indent); otherwise pretty-prints with
  // `indent` spaces per level.
  explicit JsonWriter(int indent = 2);
  // Appends to `out` when Finish() is called or the writer is destroyed.
  explicit JsonWriter(std::string& out, int indent = 2);
  // Streams into `sink` through a fixed buffer (flushed whenever it fills,
  // and by Finish()): a 15 MB report then costs 256 KiB of memory instead of
  // a 15 MB string whose first touch alone was ~4,000 page faults.
  explicit JsonWriter(std::ostream& sink, int indent = 2);
  ~JsonWriter();

  // What was written so far (and not yet flushed to the `out` string or
  // the sink).
  std::string_view view() const { return std::string_view(buf_.get(), len_); }
  // Appends the buffer to the `out` string or writes it to the sink given at
  // construction, if any.
  void Finish();
  // Makes room for `bytes` more bytes.
  void Reserve(size_t bytes);
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // Inside an object: the next member's key; the value follows.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int(int64_t v);
  void UInt(uint64_t v);
  void Bool(bool v);
  void Null();
  // Any nlohmann value, serialized by nlohmann at the current indentation.
  void Value(const nlohmann::ordered_json& value);

  // Convenience: an array of strings / ints.
  void StringArray(const std::vector<std::string>& items);
  void IntArray(const std::vector<int64_t>& items);

  // Inside an object: a key that is a plain literal (ASCII without '"',
  // '\\' or control characters), written without the escaping scan. (Inline,
  // so the length of a string literal is folded at compile time.)
  void LiteralKey(const char* key) { LiteralKey(key, std::strlen(key)); }
  void LiteralKey(const char* key, size_t length);

  // Literal key + value in one call (see LiteralKey; data-dependent keys go
  // through Key()).
  void Member(const char* key, std::string_view v) { LiteralKey(key); String(v); }
  void Member(const char* key, const char* v) { LiteralKey(key); String(v); }
  void Member(const char* key, const std::string& v) { LiteralKey(key); String(v); }
  void MemberInt(const char* key, int64_t v) { LiteralKey(key); Int(v); }
  void MemberUInt(const char* key, uint64_t v) { LiteralKey(key); UInt(v); }
  void MemberBool(const char* key, bool v) { LiteralKey(key); Bool(v); }

  // ---- Unchecked output for the hot loops ----
  //
  // The tensors and storages of a big state dict are most of a report, and
  // per piece capacity checks, container bookkeeping and per-depth
  // indentation were most of its cost. A Run reserves room for a whole
  // object once and writes it with raw stores; Pieces (the separator,
  // newline, indentation and quoted key of a member) are built once per
  // array. See checkpoint_json.cc.

  // Bytes a Run may write past what its pieces count (fixed-size copies).
  static constexpr size_t kRunSlack = 32;

  // A constant piece of output. Held inline and zero-padded when it is at
  // most kRunSlack bytes, so that writing it is one fixed-size copy.
  class Piece {
   public:
    explicit Piece(std::string_view text);
    size_t size() const { return size_; }
    // Writes the piece at d (kRunSlack bytes when it is shorter); returns
    // its end.
    char* CopyTo(char* d) const {
      if (size_ <= kRunSlack) {
        std::memcpy(d, short_, kRunSlack);
      } else {
        std::memcpy(d, long_.data(), size_);
      }
      return d + size_;
    }

   private:
    char short_[kRunSlack] = {};
    std::string long_;
    size_t size_;
  };

  // `before`, then "\n" and the indentation of (current depth +
  // `extra_depth`) levels; only `before` in the compact form.
  std::string NewlineIndent(size_t extra_depth, std::string_view before = {}) const;
  // What follows a key's closing quote: ": " (pretty) or ":" (compact).
  std::string_view KeySuffix() const { return indent_ >= 0 ? ": " : ":"; }
  // For values written by a Run into the current array: counts one more and
  // returns true when it is not the first (a comma goes before it).
  bool CountValue() { return counts_.back()++ > 0; }

  // Writes without capacity checks into room reserved at construction:
  // `bound` must be at least what the calls write, as documented on each
  // (kRunSlack more is reserved for the fixed-size copies). Commits on
  // destruction, where the bound is checked; no other writer call may
  // happen while a Run is alive.
  class Run {
   public:
    Run(JsonWriter& w, size_t bound) : w_(w), bound_(bound) {
      p_ = w.Room(bound + kRunSlack);
      limit_ = p_ + bound;
    }
    ~Run() {
      // Always checked (one compare per run, also in release builds): a
      // bound summed wrong by hand must not pass unnoticed. See Overran.
      if (p_ > limit_) [[unlikely]] Overran();
      w_.len_ = static_cast<size_t>(p_ - w_.buf_.get());
    }
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    // piece.size() bytes.
    void Put(const Piece& piece) { p_ = piece.CopyTo(p_); }
    // One byte.
    void Char(char c) { *p_++ = c; }
    // s.size() + 2 bytes when no byte of `s` needs escaping; an escaped
    // string goes through the checked path (and reserves `bound` again).
    void String(std::string_view s) {
      char* end = QuoteIfClean(p_, s.data(), s.size());
      if (end != nullptr) {
        p_ = end;
      } else {
        EscapedString(s);
      }
    }
    // At most 20 bytes each. (Most numbers in a report are a single digit:
    // those without a call.)
    void Int(int64_t v) {
      if (v >= 0 && v < 10) {
        *p_++ = static_cast<char>('0' + v);
      } else {
        p_ = WriteInt(p_, v);
      }
    }
    void UInt(uint64_t v) {
      if (v < 10) {
        *p_++ = static_cast<char>('0' + v);
      } else {
        p_ = WriteUInt(p_, v);
      }
    }
    // 4 bytes.
    void Null() {
      std::memcpy(p_, "null", 4);
      p_ += 4;
    }
    // At most 5 bytes.
    void Bool(bool v) {
      std::memcpy(p_, v ? "true\0\0\0\0" : "false\0\0\0", 8);
      p_ += v ? 4 : 5;
    }

   private:
    void EscapedString(std::string_view s);
    // The run wrote past its bound. When its end (and the kRunSlack of the
    // last fixed-size copy) is still inside the buffer, every byte is where
    // it belongs and the run is kept (debug builds assert, to find the
    // bound); past the buffer, memory is no longer trustworthy: abort with a
    // message rather than write a report from it.
    [[gnu::cold, gnu::noinline]] void Overran();
    JsonWriter& w_;
    char* p_;
    char* limit_;  // p_ may not pass it (checked when the run ends)
    size_t bound_;
  };

 private:
  // Makes room for `n` more bytes and returns where they go.
  char* Room(size_t n) {
    if (n > cap_ - len_) Grow(n);
    return buf_.get() + len_;
  }
  // `"` s `"` at d (s.size() + 2 bytes) and the end, or nullptr (leaving
  // garbage at d) when a byte of `s` needs escaping or is not ASCII.
  static char* QuoteIfClean(char* d, const char* s, size_t n);
  static char* WriteInt(char* d, int64_t v);
  static char* WriteUInt(char* d, uint64_t v);
  // Escapes `s` (without quotes) as nlohmann's dump does and appends it.
  void AppendEscaped(std::string_view s);
  void BeforeValue();
  void Separator(size_t room);
  void Newline(size_t depth);
  void Grow(size_t need);
  // Copies n bytes without a call for the short pieces JSON is made of (the
  // overlapping word copies stay inside [s, s + n)).
  static void CopySmall(char* d, const char* s, size_t n) {
    if (n >= 8 && n <= 16) {
      uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      std::memcpy(d, &a, 8);
      std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
    } else if (n < 4) {
      for (size_t i = 0; i < n; ++i) d[i] = s[i];
    } else {
      std::memcpy(d, s, n);
    }
  }
  void Put(const char* s, size_t n) {
    if (n > cap_ - len_) Grow(n);
    CopySmall(buf_.get() + len_, s, n);
    len_ += n;
  }
  void Put(std::string_view s) { Put(s.data(), s.size()); }
  void PutChar(char c) {
    if (cap_ == len_) Grow(1);
    buf_[len_++] = c;
  }

  std::string* out_ = nullptr;
  std::ostream* sink_ = nullptr;
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0;
  size_t cap_ = 0;
  int indent_;
  // Per open container: number of members written so far.
  std::vector<uint64_t> counts_;
  bool after_key_ = false;
  struct Fallback;
  std::unique_ptr<Fallback> fallback_;  // nlohmann serializer, made on first use
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_JSON_WRITER_H_
