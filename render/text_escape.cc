#include "render/text_escape.h"

#include <cstdint>
#include <cstdio>

namespace ptlint {

namespace {

// One decoded character: its code point and byte length, or length 0 when the
// bytes at `i` do not start a valid UTF-8 sequence (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
struct Decoded {
  uint32_t code_point = 0;
  size_t length = 0;
};

Decoded DecodeAt(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  uint32_t cp;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + n > s.size()) return {};
  for (size_t k = 1; k < n; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, n};
}

void AppendByteEscape(std::string& out, unsigned char b) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\x%02X", b);
  out += buf;
}

void AppendCodePointEscape(std::string& out, uint32_t cp) {
  char buf[7];
  std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
  out += buf;
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    Decoded d = DecodeAt(s, i);
    if (d.length == 0) {
      AppendByteEscape(out, static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    out.append(s.substr(i, d.length));
    i += d.length;
  }
  return out;
}

std::string DisplayText(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    Decoded d = DecodeAt(s, i);
    if (d.length == 0) {
      AppendByteEscape(out, static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    uint32_t cp = d.code_point;
    bool keep = cp == '\t' || (cp == '\n' && keep_newlines);
    if (!keep && (cp < 0x20 || cp == 0x7F)) {
      AppendByteEscape(out, static_cast<unsigned char>(cp));
    } else if (cp >= 0x80 && cp <= 0x9F) {
      AppendCodePointEscape(out, cp);
    } else {
      out.append(s.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

std::string XmlText(std::string_view s, bool attribute) {
  std::string shown = DisplayText(s, /*keep_newlines=*/true);
  std::string out;
  out.reserve(shown.size());
  for (size_t i = 0; i < shown.size(); ++i) {
    char c = shown[i];
    // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters.
    if (static_cast<unsigned char>(c) == 0xEF && i + 2 < shown.size() &&
        static_cast<unsigned char>(shown[i + 1]) == 0xBF &&
        (static_cast<unsigned char>(shown[i + 2]) & 0xFE) == 0xBE) {
      AppendCodePointEscape(out, static_cast<unsigned char>(shown[i + 2]) == 0xBE ? 0xFFFE : 0xFFFF);
      i += 2;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: out += c;
    }
  }
  return out;
}

int Utf16Column(std::string_view line, int byte_column) {
  if (byte_column <= 1) return byte_column;
  size_t target = static_cast<size_t>(byte_column - 1);
  int units = 0;
  size_t i = 0;
  while (i < target && i < line.size()) {
    Decoded d = DecodeAt(line, i);
    if (d.length == 0) {
      ++units;
      ++i;
      continue;
    }
    if (i + d.length > target) break;  // the column points inside this character
    units += d.code_point > 0xFFFF ? 2 : 1;
    i += d.length;
  }
  if (target > line.size()) units += static_cast<int>(target - line.size());
  return units + 1;
}

int CharacterColumn(std::string_view line, int byte_column) {
  if (byte_column <= 1) return byte_column;
  size_t target = static_cast<size_t>(byte_column - 1);
  int chars = 0;
  size_t i = 0;
  while (i < target && i < line.size()) {
    Decoded d = DecodeAt(line, i);
    size_t len = d.length == 0 ? 1 : d.length;
    if (d.length != 0 && i + len > target) break;
    ++chars;
    i += len;
  }
  if (target > line.size()) chars += static_cast<int>(target - line.size());
  return chars + 1;
}

}  // namespace ptlint
