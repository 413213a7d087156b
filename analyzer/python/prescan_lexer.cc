// The pre-scan's lexer (see prescan_lexer.h): logical lines, names,
// numbers, strings (f-strings included, nested ones bounded) and operators,
// byte by byte, refusing the forms whose tree-sitter reading it does not
// model exactly.
#include "analyzer/python/prescan_lexer.h"

#include <cstring>

namespace ptlint {
namespace prescan {

namespace {

// Character classes, one table lookup per byte.
enum : uint8_t { kC_Other = 0, kC_Name = 1, kC_Digit = 2 };
struct CharTable {
  uint8_t cls[256] = {};
  constexpr CharTable() {
    for (int c = 'a'; c <= 'z'; ++c) cls[c] = kC_Name;
    for (int c = 'A'; c <= 'Z'; ++c) cls[c] = kC_Name;
    cls[static_cast<int>('_')] = kC_Name;
    for (int c = '0'; c <= '9'; ++c) cls[c] = kC_Digit;
  }
};
constexpr CharTable kChars;
inline bool IsNameStart(unsigned char c) { return kChars.cls[c] == kC_Name; }
inline bool IsNameChar(unsigned char c) { return kChars.cls[c] != kC_Other; }
inline bool IsDigit(unsigned char c) { return kChars.cls[c] == kC_Digit; }

bool IsStringPrefixChar(char c) {
  switch (c) {
    case 'r':
    case 'R':
    case 'b':
    case 'B':
    case 'u':
    case 'U':
    case 'f':
    case 'F':
      return true;
    default:
      return false;
  }
}

constexpr int kMaxBrackets = 200;
constexpr int kMaxStringNesting = 8;

}  // namespace

void Lexer::NewLine(size_t next_line_start) {
  ++line_;
  line_start_ = next_line_start;
}

// The next logical line into toks_ (indentation in indent_): 1, 0 at the
// end of the file, -1 when refused.
int Lexer::NextLine() {
  toks_.clear();
  for (;;) {
    if (pos_ >= n_) return 0;
    size_t p = pos_;
    while (p < n_ && s_[p] == ' ') ++p;
    if (p >= n_) {
      pos_ = p;
      return 0;
    }
    const char c = s_[p];
    if (c == '\n') {
      pos_ = p + 1;
      NewLine(pos_);
      continue;
    }
    if (c == '#') {
      const void* nl = std::memchr(s_ + p, '\n', n_ - p);
      if (nl == nullptr) {
        pos_ = n_;
        return 0;
      }
      pos_ = static_cast<size_t>(static_cast<const char*>(nl) - s_) + 1;
      NewLine(pos_);
      continue;
    }
    if (c == '\t' || c == '\f' || c == '\r' || c == '\v') {
      Bail("tab, form feed or CR in indentation");
      return -1;
    }
    if (c == '\\') {
      Bail("line continuation at the start of a line");
      return -1;
    }
    indent_ = static_cast<int64_t>(p - pos_);
    pos_ = p;
    break;
  }
  char brackets[kMaxBrackets];
  int depth = 0;
  bool comment = false;
  while (pos_ < n_) {
    const unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c == ' ' || c == '\t') {
      ++pos_;
      continue;
    }
    if (c == '\n') {
      ++pos_;
      NewLine(pos_);
      if (depth == 0) return 1;
      continue;
    }
    if (c == '#') {
      const void* nl = std::memchr(s_ + pos_, '\n', n_ - pos_);
      pos_ = nl == nullptr ? n_ : static_cast<size_t>(static_cast<const char*>(nl) - s_);
      comment = true;
      continue;
    }
    if (c == '\\') {
      if (pos_ + 1 < n_ && s_[pos_ + 1] == '\n' && pos_ + 2 < n_) {
        pos_ += 2;
        NewLine(pos_);
        continue;
      }
      Bail("backslash outside a string not followed by a newline");
      return -1;
    }
    Tok t;
    t.begin = static_cast<uint32_t>(pos_);
    t.line = line_;
    t.col = static_cast<uint32_t>(pos_ - line_start_);
    t.depth = static_cast<uint16_t>(depth);
    t.comment_before = comment;
    comment = false;
    if (IsNameStart(c)) {
      size_t p = pos_ + 1;
      while (p < n_ && IsNameChar(static_cast<unsigned char>(s_[p]))) ++p;
      if (p < n_ && (s_[p] == '"' || s_[p] == '\'')) {
        // A string prefix (tree-sitter takes any run of r, b, u, f).
        bool all_prefix = true;
        bool fmt = false;
        for (size_t k = pos_; k < p; ++k) {
          all_prefix = all_prefix && IsStringPrefixChar(s_[k]);
          fmt = fmt || s_[k] == 'f' || s_[k] == 'F';
        }
        if (!all_prefix || p - pos_ > 8) {
          Bail("a name directly followed by a quote");
          return -1;
        }
        t.kind = kString;
        t.fstring = fmt;
        t.prefix = static_cast<uint8_t>(p - pos_);
        size_t end = ScanString(p, fmt, 0, &t);
        if (end == kNpos) return -1;
        pos_ = end;
      } else {
        t.kind = kName;
        pos_ = p;
      }
    } else if (IsDigit(c) ||
               (c == '.' && pos_ + 1 < n_ && IsDigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      t.kind = kNumber;
      size_t end = ScanNumber(pos_, &t.integer);
      if (end == kNpos) return -1;
      pos_ = end;
    } else if (c == '"' || c == '\'') {
      t.kind = kString;
      size_t end = ScanString(pos_, false, 0, &t);
      if (end == kNpos) return -1;
      pos_ = end;
    } else if (c == '(' || c == '[' || c == '{') {
      if (depth >= kMaxBrackets) {
        Bail("brackets nested too deeply");
        return -1;
      }
      brackets[depth++] = static_cast<char>(c);
      t.kind = kOp;
      ++pos_;
    } else if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (depth == 0 || brackets[depth - 1] != open) {
        Bail("unbalanced brackets");
        return -1;
      }
      --depth;
      t.depth = static_cast<uint16_t>(depth);
      t.kind = kOp;
      ++pos_;
    } else {
      size_t len = OpLength(pos_);
      if (len == 0) {
        Bail("a character outside strings and comments that Python does not allow there");
        return -1;
      }
      t.kind = kOp;
      pos_ += len;
    }
    t.end = static_cast<uint32_t>(pos_);
    toks_.push_back(t);
  }
  if (depth != 0) {
    Bail("unclosed bracket at end of file");
    return -1;
  }
  return toks_.empty() ? 0 : 1;
}

size_t Lexer::OpLength(size_t p) const {
  const char c = s_[p];
  const char c1 = p + 1 < n_ ? s_[p + 1] : '\0';
  const char c2 = p + 2 < n_ ? s_[p + 2] : '\0';
  switch (c) {
    case ',':
    case ';':
    case '~':
      return 1;
    case '.':
      return c1 == '.' && c2 == '.' ? 3 : 1;
    case ':':
    case '=':
      return c1 == '=' ? 2 : 1;
    case '!':
      return c1 == '=' ? 2 : 0;
    case '-':
      return c1 == '=' || c1 == '>' ? 2 : 1;
    case '+':
    case '%':
    case '&':
    case '|':
    case '^':
    case '@':
      return c1 == '=' ? 2 : 1;
    case '*':
    case '/':
      if (c1 == c) return c2 == '=' ? 3 : 2;
      return c1 == '=' ? 2 : 1;
    case '<':
      if (c1 == '<') return c2 == '=' ? 3 : 2;
      return c1 == '=' || c1 == '>' ? 2 : 1;
    case '>':
      if (c1 == '>') return c2 == '=' ? 3 : 2;
      return c1 == '=' ? 2 : 1;
    default:
      return 0;
  }
}

// tree-sitter-python's integer and float tokens. kNpos on anything else
// (a number run into a name, `1__0`, ...).
size_t Lexer::ScanNumber(size_t p, bool* integer) {
  auto digits = [&](size_t q, auto valid) {
    // (_?[valid]+)+ for prefixed integers.
    size_t start = q;
    while (q < n_) {
      if (s_[q] == '_' && q + 1 < n_ && valid(s_[q + 1])) {
        q += 2;
      } else if (valid(s_[q])) {
        ++q;
      } else {
        break;
      }
    }
    return q == start ? kNpos : q;
  };
  auto decimal = [&](size_t q) {
    // ([0-9]+_?)+
    size_t start = q;
    while (q < n_ && IsDigit(static_cast<unsigned char>(s_[q]))) {
      while (q < n_ && IsDigit(static_cast<unsigned char>(s_[q]))) ++q;
      if (q < n_ && s_[q] == '_') ++q;
    }
    return q == start ? kNpos : q;
  };
  *integer = false;
  size_t q = p;
  const char c1 = p + 1 < n_ ? s_[p + 1] : '\0';
  if (s_[p] == '0' &&
      (c1 == 'x' || c1 == 'X' || c1 == 'o' || c1 == 'O' || c1 == 'b' || c1 == 'B')) {
    const char base = static_cast<char>(c1 | 0x20);
    q = digits(p + 2, [base](char ch) {
      if (base == 'x')
        return IsDigit(static_cast<unsigned char>(ch)) ||
               ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
      if (base == 'o') return ch >= '0' && ch <= '7';
      return ch == '0' || ch == '1';
    });
    if (q == kNpos) return Bail("malformed number"), kNpos;
    if (q < n_ && (s_[q] == 'l' || s_[q] == 'L')) ++q;
    *integer = true;
  } else {
    bool is_float = false;
    if (s_[q] != '.') {
      q = decimal(q);
      if (q == kNpos) return Bail("malformed number"), kNpos;
    }
    if (q < n_ && s_[q] == '.') {
      is_float = true;
      ++q;
      if (q < n_ && IsDigit(static_cast<unsigned char>(s_[q]))) q = decimal(q);
    }
    if (q < n_ && (s_[q] == 'e' || s_[q] == 'E')) {
      size_t e = q + 1;
      if (e < n_ && (s_[e] == '+' || s_[e] == '-')) ++e;
      if (e < n_ && IsDigit(static_cast<unsigned char>(s_[e]))) {
        q = decimal(e);
        is_float = true;
      }
    }
    if (q < n_ && (s_[q] == 'l' || s_[q] == 'L' || s_[q] == 'j' || s_[q] == 'J')) ++q;
    *integer = !is_float;
  }
  if (q < n_ && IsNameChar(static_cast<unsigned char>(s_[q])))
    return Bail("a number run into a name"), kNpos;
  return q;
}

// s_[p] is the opening quote. Returns the offset after the closing quote,
// or kNpos (refused).
size_t Lexer::ScanString(size_t p, bool fmt, int nesting, Tok* tok) {
  if (nesting > kMaxStringNesting) return Bail("f-strings nested too deeply"), kNpos;
  const char q = s_[p];
  const bool triple = p + 2 < n_ && s_[p + 1] == q && s_[p + 2] == q;
  if (tok != nullptr) tok->quotes = triple ? 3 : 1;
  p += triple ? 3 : 1;
  while (p < n_) {
    const char c = s_[p];
    if (c == '\\') {
      if (tok != nullptr) tok->backslash = true;
      if (p + 1 >= n_) return Bail("backslash at end of file"), kNpos;
      const char d = s_[p + 1];
      if (fmt && (d == '{' || d == '}' || d == 'N'))
        return Bail("backslash before a brace in an f-string"), kNpos;
      if (d == '\0') return Bail("NUL byte"), kNpos;
      if (d == '\n') NewLine(p + 2);
      p += 2;
      continue;
    }
    if (c == q) {
      if (!triple) return p + 1;
      if (p + 2 < n_ && s_[p + 1] == q && s_[p + 2] == q) return p + 3;
      ++p;
      continue;
    }
    if (c == '\n') {
      if (!triple) return Bail("unterminated string"), kNpos;
      NewLine(p + 1);
      ++p;
      continue;
    }
    if (c == '\0') return Bail("NUL byte"), kNpos;
    if (fmt && c == '{') {
      if (p + 1 < n_ && s_[p + 1] == '{') {
        p += 2;
        continue;
      }
      p = ScanInterpolation(p + 1, triple, nesting + 1);
      if (p == kNpos) return kNpos;
      continue;
    }
    if (fmt && c == '}') {
      if (p + 1 < n_ && s_[p + 1] == '}') {
        p += 2;
        continue;
      }
      return Bail("single } in an f-string"), kNpos;
    }
    ++p;
  }
  return Bail("unterminated string"), kNpos;
}

// After the `{` of an f-string interpolation: returns the offset after its `}`.
size_t Lexer::ScanInterpolation(size_t p, bool multiline, int nesting) {
  if (nesting > kMaxStringNesting) return Bail("f-strings nested too deeply"), kNpos;
  int depth = 0;
  while (p < n_) {
    const char c = s_[p];
    switch (c) {
      case '\n':
        if (!multiline) return Bail("newline in an f-string expression"), kNpos;
        NewLine(p + 1);
        ++p;
        break;
      case '#':
      case '\\':
      case '\0':
      case '\r':
        return Bail("comment, backslash or control byte in an f-string expression"), kNpos;
      case '(':
      case '[':
      case '{':
        ++depth;
        ++p;
        break;
      case ')':
      case ']':
        if (depth == 0) return Bail("unbalanced brackets in an f-string expression"), kNpos;
        --depth;
        ++p;
        break;
      case '}':
        if (depth == 0) return p + 1;
        --depth;
        ++p;
        break;
      case ':':
        if (depth > 0) {
          ++p;
          break;
        }
        if (p + 1 < n_ && s_[p + 1] == '=') return Bail("`:=` in an f-string expression"), kNpos;
        return ScanFormatSpec(p + 1, nesting);
      case '"':
      case '\'': {
        // A nested string; its prefix letters are just before it.
        size_t k = p;
        bool fmt = false;
        while (k > 0 && IsNameChar(static_cast<unsigned char>(s_[k - 1]))) {
          --k;
          if (!IsStringPrefixChar(s_[k])) return Bail("a name directly followed by a quote"), kNpos;
          fmt = fmt || s_[k] == 'f' || s_[k] == 'F';
        }
        p = ScanString(p, fmt, nesting + 1, nullptr);
        if (p == kNpos) return kNpos;
        break;
      }
      default:
        if (static_cast<unsigned char>(c) >= 0x80)
          return Bail("non-ASCII in an f-string expression"), kNpos;
        ++p;
        break;
    }
  }
  return Bail("unterminated f-string"), kNpos;
}

// After the `:` of a format spec: up to and past the interpolation's `}`.
size_t Lexer::ScanFormatSpec(size_t p, int nesting) {
  while (p < n_) {
    const char c = s_[p];
    if (c == '}') return p + 1;
    if (c == '{') {
      if (p + 1 < n_ && s_[p + 1] == '{') return Bail("{{ in a format spec"), kNpos;
      p = ScanInterpolation(p + 1, false, nesting + 1);
      if (p == kNpos) return kNpos;
      continue;
    }
    if (c == '\n' || c == '\\' || c == '\0')
      return Bail("newline or backslash in a format spec"), kNpos;
    ++p;
  }
  return Bail("unterminated f-string"), kNpos;
}

}  // namespace prescan
}  // namespace ptlint
