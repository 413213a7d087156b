#include "analyzer/formats/safetensors_reader.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace ptlint {

namespace {

// The JSON header is parsed with nlohmann's SAX interface rather than into a
// DOM: the structure is fixed and shallow, so the handler validates it as it
// streams by, sees duplicate keys (a DOM keeps one silently), and never
// builds an unbounded tree from a hostile 100 MB header.

constexpr uint64_t kHeaderOffset = 8;
// Rank cap: far above any real tensor, small enough that a hostile header
// cannot make one shape vector huge.
constexpr size_t kMaxRank = 1024;
// Nesting inside ignored values (unknown tensor fields). The valid structure
// is three levels deep.
constexpr int kMaxDepth = 64;

const char* kTruncatedHint =
    "the file is truncated — an interrupted download or save; re-download it and "
    "check its hash";
const char* kCorruptHint =
    "the header is corrupt or was written by a broken tool; re-export the file with "
    "the safetensors library";

std::string Quoted(std::string_view name) {
  constexpr size_t kMax = 200;
  std::string out = "\"";
  for (size_t i = 0; i < name.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (name.size() > kMax) out += "...";
  out += '"';
  return out;
}

// Offset of the first byte that is not valid UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

class HeaderSax {
 public:
  explicit HeaderSax(SafetensorsFile& file) : file_(file) {}

  std::optional<Error>& error() { return error_; }

  // --- nlohmann SAX interface ---
  bool null() {
    if (skip_depth_ > 0) return true;
    if (depth_ == 1 && in_metadata_key_) return true;  // "__metadata__": null is None
    return TypeError("null");
  }
  bool boolean(bool) {
    if (skip_depth_ > 0) return true;
    return TypeError("a boolean");
  }
  bool number_integer(int64_t v) {
    if (skip_depth_ > 0) return true;
    // nlohmann reports non-negative integers through number_unsigned; only
    // "-0" arrives here with a non-negative value.
    if (v >= 0) return number_unsigned(static_cast<uint64_t>(v));
    if (depth_ == 3 && field_ == Field::kShape) {
      return Fail("safetensors.bad-shape",
                  "tensor " + Quoted(tensor_.name) + " has a negative dimension " +
                      std::to_string(v) + " in its shape");
    }
    if (depth_ == 3 && field_ == Field::kOffsets) {
      return Fail("safetensors.bad-offsets",
                  "tensor " + Quoted(tensor_.name) + " has a negative data offset " +
                      std::to_string(v));
    }
    return TypeError("a number");
  }
  bool number_unsigned(uint64_t v) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 3 && field_ == Field::kShape) {
      if (v > static_cast<uint64_t>(INT64_MAX)) {
        return Fail("safetensors.bad-shape",
                    "tensor " + Quoted(tensor_.name) + " has dimension " + std::to_string(v) +
                        ", larger than any addressable tensor");
      }
      if (tensor_.shape.size() >= kMaxRank) {
        return Fail("safetensors.limit.rank",
                    "tensor " + Quoted(tensor_.name) + " has more than " +
                        std::to_string(kMaxRank) + " dimensions");
      }
      tensor_.shape.push_back(static_cast<int64_t>(v));
      return true;
    }
    if (depth_ == 3 && field_ == Field::kOffsets) {
      if (offsets_seen_ >= 2) {
        return Fail("safetensors.bad-offsets",
                    "tensor " + Quoted(tensor_.name) +
                        " has more than two data_offsets; expected [BEGIN, END]");
      }
      (offsets_seen_ == 0 ? tensor_.begin : tensor_.end) = v;
      ++offsets_seen_;
      return true;
    }
    return TypeError("a number");
  }
  bool number_float(double, const std::string& text) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 3 && (field_ == Field::kShape || field_ == Field::kOffsets)) {
      return Fail(field_ == Field::kShape ? "safetensors.bad-shape" : "safetensors.bad-offsets",
                  "tensor " + Quoted(tensor_.name) + " has " + text + " in its " +
                      (field_ == Field::kShape ? "shape" : "data_offsets") +
                      "; only non-negative integers below 2^64 are allowed");
    }
    return TypeError("a number");
  }
  bool string(std::string& s) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 2 && in_metadata_) {
      file_.metadata[meta_key_] = s;
      return true;
    }
    if (depth_ == 2 && in_tensor_ && field_ == Field::kDtype) {
      tensor_.dtype = s;
      return true;
    }
    return TypeError("a string");
  }
  bool binary(nlohmann::json::binary_t&) { return TypeError("binary data"); }

  bool start_object(std::size_t) {
    if (skip_depth_ > 0) return Enter();
    if (depth_ == 0) return Enter();
    if (depth_ == 1) {
      keys_.clear();
      if (in_metadata_key_) {
        in_metadata_ = true;
      } else {
        in_tensor_ = true;
        tensor_ = SafetensorsTensor{};
        tensor_.name = top_key_;
        seen_dtype_ = seen_shape_ = seen_offsets_ = false;
        offsets_seen_ = 0;
      }
      return Enter();
    }
    return TypeError("an object");
  }
  bool end_object() {
    if (skip_depth_ > 0) return Leave();
    if (depth_ == 2 && in_tensor_) {
      const char* missing = !seen_dtype_ ? "dtype"
                            : !seen_shape_ ? "shape"
                            : !seen_offsets_ ? "data_offsets"
                                             : nullptr;
      if (missing != nullptr) {
        return Fail("safetensors.bad-tensor-entry",
                    "tensor " + Quoted(tensor_.name) + " has no \"" + missing +
                        "\" field; each entry needs dtype, shape and data_offsets");
      }
      file_.tensors.push_back(std::move(tensor_));
      in_tensor_ = false;
    } else if (depth_ == 2 && in_metadata_) {
      in_metadata_ = false;
    }
    return Leave();
  }
  bool start_array(std::size_t) {
    if (skip_depth_ > 0) return Enter();
    if (depth_ == 2 && in_tensor_ && (field_ == Field::kShape || field_ == Field::kOffsets)) {
      return Enter();
    }
    return TypeError("an array");
  }
  bool end_array() {
    if (skip_depth_ > 0) return Leave();
    if (depth_ == 3 && field_ == Field::kOffsets && offsets_seen_ != 2) {
      return Fail("safetensors.bad-offsets",
                  "tensor " + Quoted(tensor_.name) + " has " + std::to_string(offsets_seen_) +
                      " data_offsets; expected [BEGIN, END]");
    }
    return Leave();
  }
  bool key(std::string& k) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 1) {
      if (!top_keys_.insert(k).second) {
        return Fail("safetensors.duplicate-key",
                    "the header has the key " + Quoted(k) +
                        " twice; readers disagree on which entry wins");
      }
      top_key_ = k;
      in_metadata_key_ = k == "__metadata__";
      return true;
    }
    if (depth_ == 2) {
      if (!keys_.insert(k).second) {
        return Fail("safetensors.duplicate-key",
                    (in_metadata_ ? std::string("__metadata__") : "tensor " + Quoted(top_key_)) +
                        " has the key " + Quoted(k) +
                        " twice; readers disagree on which value wins");
      }
      if (in_metadata_) {
        meta_key_ = k;
        return true;
      }
      if (k == "dtype") {
        field_ = Field::kDtype, seen_dtype_ = true;
      } else if (k == "shape") {
        field_ = Field::kShape, seen_shape_ = true;
      } else if (k == "data_offsets") {
        field_ = Field::kOffsets, seen_offsets_ = true;
      } else {
        // serde ignores unknown fields, so the reference loads the file; we
        // note it and skip the value whatever its shape.
        field_ = Field::kUnknown;
        if (file_.notes.size() < 100) {
          file_.notes.push_back(SafetensorsNote{
              "safetensors.unknown-field",
              "tensor " + Quoted(top_key_) + " has an unknown field " + Quoted(k) +
                  " (ignored by the safetensors library)",
              static_cast<int64_t>(kHeaderOffset)});
        }
      }
      return true;
    }
    return TypeError("a key");
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::json::exception& ex) {
    if (!error_) {
      // nlohmann counts the position from 1, on the header bytes.
      error_ = MakeError("safetensors.bad-json",
                         "the header is not valid JSON: " + std::string(ex.what()),
                         kCorruptHint,
                         static_cast<int64_t>(kHeaderOffset + (position > 0 ? position - 1 : 0)));
    }
    return false;
  }

 private:
  enum class Field { kNone, kDtype, kShape, kOffsets, kUnknown };

  bool Enter() {
    ++depth_;
    if (skip_depth_ > 0) ++skip_depth_;
    if (depth_ > kMaxDepth) {
      return Fail("safetensors.too-deep",
                  "the header nests values more than " + std::to_string(kMaxDepth) +
                      " levels deep");
    }
    return true;
  }
  bool Leave() {
    --depth_;
    if (skip_depth_ > 0) --skip_depth_;
    return true;
  }

  // A value of the wrong JSON type where the format fixes one. Values of
  // unknown tensor fields start a skip instead.
  bool TypeError(const std::string& what) {
    if (depth_ == 2 && in_tensor_ && field_ == Field::kUnknown) {
      if (what == "an object" || what == "an array") {
        // Skip the whole value: skip_depth_ counts the open containers.
        if (!Enter()) return false;
        skip_depth_ = 1;
        return true;
      }
      return true;
    }
    if (depth_ == 1) {
      if (in_metadata_key_) {
        return Fail("safetensors.bad-metadata",
                    "__metadata__ is " + what + "; it must be an object of strings");
      }
      return Fail("safetensors.bad-tensor-entry",
                  "tensor " + Quoted(top_key_) + " is " + what +
                      ", not an object {dtype, shape, data_offsets}");
    }
    if (depth_ == 2 && in_metadata_) {
      return Fail("safetensors.bad-metadata",
                  "__metadata__ value for " + Quoted(meta_key_) + " is " + what +
                      "; the format allows only strings");
    }
    if (depth_ == 2 && in_tensor_) {
      const char* field = field_ == Field::kDtype   ? "dtype"
                          : field_ == Field::kShape ? "shape"
                                                    : "data_offsets";
      const char* want = field_ == Field::kDtype ? "a string" : "an array of integers";
      return Fail(field_ == Field::kDtype   ? "safetensors.bad-dtype"
                  : field_ == Field::kShape ? "safetensors.bad-shape"
                                            : "safetensors.bad-offsets",
                  "tensor " + Quoted(tensor_.name) + " has " + what + " as its " + field +
                      "; expected " + want);
    }
    if (depth_ == 3) {
      const bool shape = field_ == Field::kShape;
      return Fail(shape ? "safetensors.bad-shape" : "safetensors.bad-offsets",
                  "tensor " + Quoted(tensor_.name) + " has " + what + " in its " +
                      (shape ? "shape" : "data_offsets") + "; expected integers");
    }
    return Fail("safetensors.bad-json", "the header holds " + what + " where none is allowed");
  }

  bool Fail(std::string code, std::string message) {
    if (!error_) {
      error_ = MakeError(std::move(code), std::move(message), kCorruptHint,
                         static_cast<int64_t>(kHeaderOffset));
    }
    return false;
  }

  SafetensorsFile& file_;
  std::optional<Error> error_;
  int depth_ = 0;
  int skip_depth_ = 0;
  std::unordered_set<std::string> top_keys_;
  std::unordered_set<std::string> keys_;  // keys of the current depth-2 object
  std::string top_key_;
  std::string meta_key_;
  bool in_metadata_key_ = false;
  bool in_metadata_ = false;
  bool in_tensor_ = false;
  Field field_ = Field::kNone;
  SafetensorsTensor tensor_;
  bool seen_dtype_ = false, seen_shape_ = false, seen_offsets_ = false;
  int offsets_seen_ = 0;
};

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size() && i < 16; ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() > 16) s += ", ...";
  return s + "]";
}

}  // namespace

uint64_t SafetensorsDtypeBits(std::string_view dtype) {
  struct Known {
    std::string_view name;
    uint64_t bits;
  };
  static constexpr Known kKnown[] = {
      {"BOOL", 8},        {"F4", 4},           {"F6_E2M3", 6},      {"F6_E3M2", 6},
      {"U8", 8},          {"I8", 8},           {"F8_E5M2", 8},      {"F8_E4M3", 8},
      {"F8_E8M0", 8},     {"F8_E4M3FNUZ", 8},  {"F8_E5M2FNUZ", 8},  {"I16", 16},
      {"U16", 16},        {"F16", 16},         {"BF16", 16},        {"I32", 32},
      {"U32", 32},        {"F32", 32},         {"C64", 64},         {"F64", 64},
      {"I64", 64},        {"U64", 64},
  };
  for (const Known& k : kKnown) {
    if (k.name == dtype) return k.bits;
  }
  return 0;
}

uint64_t SafetensorsDtypeSize(std::string_view dtype) {
  uint64_t bits = SafetensorsDtypeBits(dtype);
  return bits % 8 == 0 ? bits / 8 : 0;
}

bool LooksLikeSafetensors(std::string_view head, uint64_t file_size) {
  if (head.size() < 9 || file_size < 9) return false;
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(head[i]);
  // A truncated file still looks like safetensors (so it gets the truncation
  // diagnostic); the size only has to be plausible on its own.
  return n >= 2 && n <= kSafetensorsMaxHeaderSize && head[8] == '{';
}

Result<SafetensorsFile> ReadSafetensors(const ByteSource& source) {
  const uint64_t size = source.size();
  if (size < kHeaderOffset) {
    return MakeError("safetensors.too-small",
                     "the file is " + std::to_string(size) +
                         " bytes, too small for the 8-byte safetensors header length",
                     kTruncatedHint, 0);
  }
  const std::string_view len_bytes = source.View(0, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(len_bytes[i]);
  if (n > kSafetensorsMaxHeaderSize) {
    return MakeError("safetensors.header-too-large",
                     "the header length field says " + std::to_string(n) +
                         " bytes, more than the format's limit of " +
                         std::to_string(kSafetensorsMaxHeaderSize),
                     "this is not a safetensors file, or its first 8 bytes are corrupt", 0);
  }
  if (n > size - kHeaderOffset) {
    return MakeError("safetensors.truncated-header",
                     "the header length field says " + std::to_string(n) +
                         " bytes but only " + std::to_string(size - kHeaderOffset) +
                         " bytes follow it",
                     kTruncatedHint, static_cast<int64_t>(size));
  }
  std::string_view header = source.View(kHeaderOffset, n);
  if (header.empty() || header[0] != '{') {
    return MakeError("safetensors.header-start",
                     "the JSON header does not start with '{'", kCorruptHint,
                     static_cast<int64_t>(kHeaderOffset));
  }
  if (size_t bad = FirstInvalidUtf8(header); bad != std::string_view::npos) {
    return MakeError("safetensors.bad-utf8", "the JSON header is not valid UTF-8",
                     kCorruptHint, static_cast<int64_t>(kHeaderOffset + bad));
  }
  // nlohmann stops at a NUL as if the input ended there, so "{...}\0junk"
  // would pass; in JSON a raw NUL is never valid.
  if (const void* nul = std::memchr(header.data(), '\0', header.size()); nul != nullptr) {
    const uint64_t at = static_cast<const char*>(nul) - header.data();
    return MakeError("safetensors.bad-json", "the JSON header contains a NUL byte",
                     kCorruptHint, static_cast<int64_t>(kHeaderOffset + at));
  }
  // The reference trims trailing whitespace (writers pad the header to align
  // the buffer); nlohmann also skips it, except \v and \f.
  while (!header.empty() && (header.back() == '\v' || header.back() == '\f' ||
                             header.back() == ' ' || header.back() == '\t' ||
                             header.back() == '\n' || header.back() == '\r')) {
    header.remove_suffix(1);
  }

  SafetensorsFile file;
  file.header_size = n;
  file.buffer_offset = kHeaderOffset + n;
  HeaderSax sax(file);
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(header.begin(), header.end(), &sax,
                                       nlohmann::json::input_format_t::json, true);
  } catch (const std::exception& e) {
    return MakeError("safetensors.bad-json",
                     std::string("the JSON header could not be parsed: ") + e.what(),
                     kCorruptHint, static_cast<int64_t>(kHeaderOffset));
  }
  if (!parsed || sax.error()) {
    if (sax.error()) return *sax.error();
    return MakeError("safetensors.bad-json", "the JSON header could not be parsed",
                     kCorruptHint, static_cast<int64_t>(kHeaderOffset));
  }

  // Validation, in the order of the reference's Metadata::validate.
  for (const SafetensorsTensor& t : file.tensors) {
    if (SafetensorsDtypeBits(t.dtype) == 0) {
      return MakeError("safetensors.bad-dtype",
                       "tensor " + Quoted(t.name) + " has unknown dtype " + Quoted(t.dtype),
                       "the file was written by a newer or non-standard tool; upgrade "
                       "safetensors or re-export with a standard dtype",
                       static_cast<int64_t>(kHeaderOffset));
    }
  }
  std::sort(file.tensors.begin(), file.tensors.end(),
            [](const SafetensorsTensor& a, const SafetensorsTensor& b) {
              if (a.begin != b.begin) return a.begin < b.begin;
              if (a.end != b.end) return a.end < b.end;
              return a.name < b.name;
            });
  const uint64_t buffer_size = size - file.buffer_offset;
  uint64_t expected_begin = 0;
  for (const SafetensorsTensor& t : file.tensors) {
    const int64_t at = static_cast<int64_t>(
        file.buffer_offset + std::min<uint64_t>(t.begin, buffer_size));
    if (t.end < t.begin) {
      return MakeError("safetensors.bad-offsets",
                       "tensor " + Quoted(t.name) + " has data_offsets [" +
                           std::to_string(t.begin) + ", " + std::to_string(t.end) +
                           "]: the end is before the beginning",
                       kCorruptHint, at);
    }
    if (t.begin != expected_begin) {
      const bool gap = t.begin > expected_begin;
      return MakeError(
          "safetensors.offsets-not-contiguous",
          "tensor " + Quoted(t.name) + " starts at buffer offset " + std::to_string(t.begin) +
              (gap ? " but the tensors before it end at " + std::to_string(expected_begin) +
                         ": " + std::to_string(t.begin - expected_begin) +
                         " bytes are not covered by any tensor (hidden data)"
                   : " inside the tensor before it, which ends at " +
                         std::to_string(expected_begin) + " (overlapping tensors)"),
          gap ? "the format forbids holes so that a file cannot hide a second payload; "
                "re-export it with the safetensors library"
              : "the format forbids aliasing; re-export it with the safetensors library",
          at);
    }
    expected_begin = t.end;
    uint64_t elements = 1;
    bool overflow = false;
    for (int64_t d : t.shape) {
      overflow = overflow || __builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements);
    }
    uint64_t bits = 0;
    overflow = overflow || __builtin_mul_overflow(elements, SafetensorsDtypeBits(t.dtype), &bits);
    if (overflow) {
      return MakeError("safetensors.size-overflow",
                       "tensor " + Quoted(t.name) + " with shape " + ShapeText(t.shape) +
                           " and dtype " + t.dtype + " has more bytes than fit in 64 bits",
                       kCorruptHint, at);
    }
    if (bits % 8 != 0) {
      return MakeError("safetensors.misaligned-slice",
                       "tensor " + Quoted(t.name) + " with shape " + ShapeText(t.shape) +
                           " and sub-byte dtype " + t.dtype + " holds " + std::to_string(bits) +
                           " bits, not a whole number of bytes",
                       kCorruptHint, at);
    }
    if (bits / 8 != t.end - t.begin) {
      return MakeError("safetensors.size-mismatch",
                       "tensor " + Quoted(t.name) + " with shape " + ShapeText(t.shape) +
                           " and dtype " + t.dtype + " needs " + std::to_string(bits / 8) +
                           " bytes but its data_offsets [" + std::to_string(t.begin) + ", " +
                           std::to_string(t.end) + "] span " +
                           std::to_string(t.end - t.begin),
                       kCorruptHint, at);
    }
  }
  if (expected_begin != buffer_size) {
    const bool short_buffer = expected_begin > buffer_size;
    return MakeError(
        "safetensors.buffer-size",
        short_buffer
            ? "the tensors need " + std::to_string(expected_begin) + " bytes of data but only " +
                  std::to_string(buffer_size) + " follow the header"
            : "the tensors cover " + std::to_string(expected_begin) + " bytes but " +
                  std::to_string(buffer_size) + " follow the header: " +
                  std::to_string(buffer_size - expected_begin) +
                  " trailing bytes belong to no tensor (hidden data)",
        short_buffer ? kTruncatedHint
                     : "the format forbids unindexed bytes so that a file cannot hide a second "
                       "payload; re-export it with the safetensors library",
        static_cast<int64_t>(file.buffer_offset + std::min(expected_begin, buffer_size)));
  }
  return file;
}

}  // namespace ptlint
