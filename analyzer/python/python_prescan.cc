#include "analyzer/python/python_prescan.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace ptlint {

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
    case 'r': case 'R': case 'b': case 'B': case 'u': case 'U': case 'f': case 'F':
      return true;
    default:
      return false;
  }
}

// Python's reserved words: never an identifier (tree-sitter's
// keyword_identifier covers print, exec, match, case, type, which are not here).
bool IsHardKeyword(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "False", "None",   "True",    "and",      "as",     "assert", "async",  "await", "break",
      "class", "continue", "def",   "del",      "elif",   "else",   "except", "finally", "for",
      "from",  "global", "if",      "import",   "in",     "is",     "lambda", "nonlocal", "not",
      "or",    "pass",   "raise",   "return",   "try",    "while",  "with",   "yield"};
  if (w.size() < 2 || w.size() > 8) return false;
  const char c = w[0];
  if (!((c >= 'a' && c <= 'y') || c == 'F' || c == 'N' || c == 'T')) return false;
  for (std::string_view k : kWords) {
    if (k.size() == w.size() && k[0] == c && k == w) return true;
  }
  return false;
}

// Words that may only be identifiers in some positions: refused where the
// pre-scan would have to guess how tree-sitter reads them.
bool IsSoftKeyword(std::string_view w) {
  return w == "print" || w == "exec" || w == "match" || w == "case" || w == "type";
}

bool IsCompoundKeyword(std::string_view w) {
  return w == "class" || w == "def" || w == "if" || w == "elif" || w == "else" || w == "try" ||
         w == "except" || w == "finally" || w == "with" || w == "for" || w == "while" || w == "async";
}

enum TokKind : uint8_t { kName, kNumber, kString, kOp };

struct Tok {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t line = 0;  // 0-based row
  uint32_t col = 0;   // byte column
  uint16_t depth = 0; // bracket depth outside the token (an opener and its closer share it)
  TokKind kind = kOp;
  bool comment_before = false;  // a comment between the previous token and this one
  // kNumber
  bool integer = false;
  // kString
  bool fstring = false;
  bool backslash = false;
  uint8_t prefix = 0;  // prefix letters
  uint8_t quotes = 0;  // 1 or 3
};

enum FrameKind : uint8_t { kModuleFrame, kClassFrame, kDefFrame, kOtherFrame };
// The previous compound statement at a block's level, for clause checks.
enum Prev : uint8_t { kPrevNone, kPrevIf, kPrevLoop, kPrevTry, kPrevExcept, kPrevTryElse };

struct Frame {
  int64_t indent = 0;
  FrameKind kind = kModuleFrame;
  // ModuleIndex's tree walks, mirrored: `walk` when the walk that finds
  // module-level definitions reaches this block's statements (module,
  // if/elif/else/try/except/finally/with blocks under it); `assign` when the
  // module-level assignment walk does (the same without `with`); `recorded`
  // when the block is inside the body of a definition the first walk reached
  // (its statements are "nested").
  bool walk = true;
  bool assign = true;
  bool recorded = false;
  Prev prev = kPrevNone;
  int cls_index = -1;  // kClassFrame: index in top_ or nested_
  bool cls_nested = false;
  std::string name;    // kClassFrame, kDefFrame
  // The assignment walk's visiting order (see Assignment): this block's
  // place, its statement counter and the clause counter of the compound
  // statement being read at its level.
  std::vector<int64_t> walk_key;
  int64_t stmt = 0;
  int64_t clause = 0;
  uint32_t start = 0;  // kClassFrame: the `class` keyword's offset
};

constexpr std::string_view kPreHook = "register_load_state_dict_pre_hook";

struct ClosedClass {
  bool nested;
  int index;
  uint32_t start;
  uint32_t end;
};

constexpr size_t kNpos = static_cast<size_t>(-1);
constexpr int kMaxBrackets = 200;
constexpr int kMaxStringNesting = 8;

class Prescanner {
 public:
  Prescanner(std::string_view source, IndexedFile* file)
      : s_(source.data()), n_(source.size()), file_(file) {}

  bool Run() {
    if (n_ >= UINT32_MAX / 2) return Bail("file too large");
    // ExtractClass looks for pre-hook registrations by text over the class
    // node's bytes: the mentions' offsets, checked against each class's range.
    const std::string_view all(s_, n_);
    for (size_t at = all.find(kPreHook); at != std::string_view::npos; at = all.find(kPreHook, at + 1)) {
      hook_mentions_.push_back(static_cast<uint32_t>(at));
    }
    frames_.reserve(16);
    frames_.emplace_back();
    toks_.reserve(256);
    for (;;) {
      int got = NextLine();
      if (got < 0) return false;
      if (got == 0) break;
      if (!Line()) return false;
    }
    if (pending_block_) return Bail("expected an indented block at end of file");
    if (pending_decorator_) return Bail("decorator at end of file");
    while (frames_.size() > 1) {
      if (!Pop()) return false;
    }
    if (!CheckHookMentions(static_cast<uint32_t>(n_))) return false;
    if (frames_.back().prev == kPrevTry) return Bail("try without except or finally");
    for (auto& [name, entry] : assigns_) {
      file_->assignments.emplace(name, TSNode{});
      file_->assignment_shapes.emplace(name, std::move(entry.second));
    }
    file_->classes = std::move(top_);
    for (auto& c : nested_) file_->classes.push_back(std::move(c));
    return true;
  }

  const char* reason() const { return reason_; }

 private:
  bool Bail(const char* why) {
    if (reason_ == nullptr) reason_ = why;
    return false;
  }

  // ---- Tokens ----------------------------------------------------------

  std::string_view Text(const Tok& t) const { return std::string_view(s_ + t.begin, t.end - t.begin); }
  bool IsOp(const Tok& t, std::string_view op) const { return t.kind == kOp && Text(t) == op; }
  bool IsWord(const Tok& t, std::string_view w) const { return t.kind == kName && Text(t) == w; }

  void NewLine(size_t next_line_start) {
    ++line_;
    line_start_ = next_line_start;
  }

  // The next logical line into toks_ (indentation in indent_): 1, 0 at the
  // end of the file, -1 when refused.
  int NextLine() {
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
      } else if (IsDigit(c) || (c == '.' && pos_ + 1 < n_ && IsDigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
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

  size_t OpLength(size_t p) const {
    const char c = s_[p];
    const char c1 = p + 1 < n_ ? s_[p + 1] : '\0';
    const char c2 = p + 2 < n_ ? s_[p + 2] : '\0';
    switch (c) {
      case ',': case ';': case '~':
        return 1;
      case '.':
        return c1 == '.' && c2 == '.' ? 3 : 1;
      case ':': case '=':
        return c1 == '=' ? 2 : 1;
      case '!':
        return c1 == '=' ? 2 : 0;
      case '-':
        return c1 == '=' || c1 == '>' ? 2 : 1;
      case '+': case '%': case '&': case '|': case '^': case '@':
        return c1 == '=' ? 2 : 1;
      case '*': case '/':
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
  size_t ScanNumber(size_t p, bool* integer) {
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
    if (s_[p] == '0' && (c1 == 'x' || c1 == 'X' || c1 == 'o' || c1 == 'O' || c1 == 'b' || c1 == 'B')) {
      const char base = static_cast<char>(c1 | 0x20);
      q = digits(p + 2, [base](char ch) {
        if (base == 'x') return IsDigit(static_cast<unsigned char>(ch)) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
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
    if (q < n_ && IsNameChar(static_cast<unsigned char>(s_[q]))) return Bail("a number run into a name"), kNpos;
    return q;
  }

  // s_[p] is the opening quote. Returns the offset after the closing quote,
  // or kNpos (refused).
  size_t ScanString(size_t p, bool fmt, int nesting, Tok* tok) {
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
        if (fmt && (d == '{' || d == '}' || d == 'N')) return Bail("backslash before a brace in an f-string"), kNpos;
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
  size_t ScanInterpolation(size_t p, bool multiline, int nesting) {
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
        case '#': case '\\': case '\0': case '\r':
          return Bail("comment, backslash or control byte in an f-string expression"), kNpos;
        case '(': case '[': case '{':
          ++depth;
          ++p;
          break;
        case ')': case ']':
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
        case '"': case '\'': {
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
          if (static_cast<unsigned char>(c) >= 0x80) return Bail("non-ASCII in an f-string expression"), kNpos;
          ++p;
          break;
      }
    }
    return Bail("unterminated f-string"), kNpos;
  }

  // After the `:` of a format spec: up to and past the interpolation's `}`.
  size_t ScanFormatSpec(size_t p, int nesting) {
    while (p < n_) {
      const char c = s_[p];
      if (c == '}') return p + 1;
      if (c == '{') {
        if (p + 1 < n_ && s_[p + 1] == '{') return Bail("{{ in a format spec"), kNpos;
        p = ScanInterpolation(p + 1, false, nesting + 1);
        if (p == kNpos) return kNpos;
        continue;
      }
      if (c == '\n' || c == '\\' || c == '\0') return Bail("newline or backslash in a format spec"), kNpos;
      ++p;
    }
    return Bail("unterminated f-string"), kNpos;
  }

  // ---- Syntax ----------------------------------------------------------
  //
  // A recogniser of Python's expression and statement syntax over a logical
  // line's tokens: a file it rejects is parsed by tree-sitter instead, so
  // that tree-sitter's error recovery (whose facts the pre-scan cannot
  // predict) only ever runs on real trees. Each function returns the index
  // after what it read, or kNpos. Strict: rare valid forms are refused too.

  bool Word(size_t i, size_t e, std::string_view w) const { return i < e && IsWord(toks_[i], w); }
  bool Op(size_t i, size_t e, std::string_view o) const { return i < e && IsOp(toks_[i], o); }

  // Bounded recursion on hostile input (brackets are capped, lambdas are not).
  struct DepthGuard {
    int* depth;
    explicit DepthGuard(int* d) : depth(d) { ++*depth; }
    ~DepthGuard() { --*depth; }
  };

  // test: lambda, conditional expression, or an or-expression.
  size_t Test(size_t i, size_t e) {
    DepthGuard guard(&syntax_depth_);
    if (syntax_depth_ > 400) return kNpos;
    if (Word(i, e, "lambda")) {
      // Parameters up to the ':' at this depth (defaults are not read).
      const uint16_t depth = toks_[i].depth;
      size_t j = i + 1;
      while (j < e && !(toks_[j].depth == depth && IsOp(toks_[j], ":"))) {
        if (toks_[j].depth == depth && toks_[j].kind == kOp && Text(toks_[j]) != "," && Text(toks_[j]) != "*" &&
            Text(toks_[j]) != "**" && Text(toks_[j]) != "=" && Text(toks_[j]) != "/" && Text(toks_[j]) != "(" &&
            Text(toks_[j]) != ")" && Text(toks_[j]) != "[" && Text(toks_[j]) != "]" && Text(toks_[j]) != "{" &&
            Text(toks_[j]) != "}" && Text(toks_[j]) != "." && Text(toks_[j]) != "-") {
          return kNpos;
        }
        ++j;
      }
      if (j >= e) return kNpos;
      return Test(j + 1, e);
    }
    i = OrExpr(i, e);
    if (i == kNpos) return kNpos;
    if (Word(i, e, "if")) {
      i = OrExpr(i + 1, e);
      if (i == kNpos || !Word(i, e, "else")) return kNpos;
      return Test(i + 1, e);
    }
    return i;
  }

  // A chain of operands and binary operators (precedence is irrelevant to validity).
  size_t OrExpr(size_t i, size_t e) {
    for (;;) {
      while (i < e && (Word(i, e, "not") || Word(i, e, "await") ||
                       (toks_[i].kind == kOp && (Text(toks_[i]) == "-" || Text(toks_[i]) == "+" ||
                                                 Text(toks_[i]) == "~")))) {
        ++i;
      }
      i = Primary(i, e, nullptr);
      if (i == kNpos) return kNpos;
      if (i >= e) return i;
      const Tok& t = toks_[i];
      if (t.kind == kOp) {
        const std::string_view o = Text(t);
        if (o == "+" || o == "-" || o == "*" || o == "/" || o == "//" || o == "%" || o == "@" || o == "**" ||
            o == "<<" || o == ">>" || o == "&" || o == "|" || o == "^" || o == "<" || o == ">" || o == "<=" ||
            o == ">=" || o == "==" || o == "!=" || o == "<>") {
          ++i;
          continue;
        }
        return i;
      }
      if (t.kind == kName) {
        const std::string_view w = Text(t);
        if (w == "and" || w == "or" || w == "in" || w == "is") {
          ++i;
          continue;
        }
        if (w == "not" && Word(i + 1, e, "in")) {
          i += 2;
          continue;
        }
      }
      return i;
    }
  }

  // An atom and its trailers. `last_call`: whether the last trailer is a call.
  size_t Primary(size_t i, size_t e, bool* last_call, size_t* last_subscript = nullptr) {
    if (i >= e) return kNpos;
    const Tok& t = toks_[i];
    bool call = false;
    size_t subscript = kNpos;
    if (t.kind == kName) {
      const std::string_view w = Text(t);
      if (IsHardKeyword(w) && w != "None" && w != "True" && w != "False") return kNpos;
      ++i;
    } else if (t.kind == kNumber) {
      ++i;
    } else if (t.kind == kString) {
      while (i < e && toks_[i].kind == kString) ++i;
    } else if (IsOp(t, "...")) {
      ++i;
    } else if (IsOp(t, "(") || IsOp(t, "[") || IsOp(t, "{")) {
      i = Group(i, e);
      if (i == kNpos) return kNpos;
    } else {
      return kNpos;
    }
    for (;;) {
      if (Op(i, e, ".")) {
        if (i + 1 >= e || toks_[i + 1].kind != kName) return kNpos;
        i += 2;
        call = false;
        subscript = kNpos;
      } else if (Op(i, e, "(")) {
        const size_t close = Matching(i, e);
        if (close == kNpos || Args(i + 1, close) == kNpos) return kNpos;
        i = close + 1;
        call = true;
        subscript = kNpos;
      } else if (Op(i, e, "[")) {
        const size_t close = Matching(i, e);
        if (close == kNpos || close == i + 1 || Slices(i + 1, close) == kNpos) return kNpos;
        subscript = i;
        i = close + 1;
        call = false;
      } else {
        break;
      }
    }
    if (last_call) *last_call = call;
    if (last_subscript) *last_subscript = subscript;
    return i;
  }

  // A parenthesised, list or dict/set display at toks_[i].
  size_t Group(size_t i, size_t e) {
    const size_t close = Matching(i, e);
    if (close == kNpos) return kNpos;
    const std::string_view o = Text(toks_[i]);
    if (close == i + 1) return close + 1;
    bool ok;
    if (o == "(" && Word(i + 1, close, "yield")) {
      ok = Yield(i + 1, close) == close;
    } else if (o == "{") {
      ok = DictOrSet(i + 1, close);
    } else {
      ok = Items(i + 1, close, o == "(");
    }
    return ok ? close + 1 : kNpos;
  }

  // `for targets in or_expr [if or_expr]...` clauses filling [i, e).
  bool CompFor(size_t i, size_t e) {
    while (i < e) {
      if (Word(i, e, "async")) ++i;
      if (!Word(i, e, "for")) return false;
      i = Targets(i + 1, e, true);
      if (i == kNpos || !Word(i, e, "in")) return false;
      i = OrExpr(i + 1, e);
      if (i == kNpos) return false;
      while (Word(i, e, "if")) {
        i = OrExpr(i + 1, e);
        if (i == kNpos) return false;
      }
    }
    return true;
  }

  // One display item: `*x`, `name := x`, or a test.
  size_t Item(size_t i, size_t e, bool named) {
    if (Op(i, e, "*")) return OrExpr(i + 1, e);
    if (named && i + 1 < e && toks_[i].kind == kName && IsOp(toks_[i + 1], ":=")) return Test(i + 2, e);
    return Test(i, e);
  }

  // Comma-separated items, or one item and a comprehension.
  bool Items(size_t i, size_t e, bool named) {
    size_t j = Item(i, e, named);
    if (j == kNpos) return false;
    if (Word(j, e, "for") || Word(j, e, "async")) return CompFor(j, e);
    for (;;) {
      if (j == e) return true;
      if (!Op(j, e, ",")) return false;
      if (j + 1 == e) return true;
      j = Item(j + 1, e, named);
      if (j == kNpos) return false;
    }
  }

  bool DictOrSet(size_t i, size_t e) {
    bool first = true;
    bool dict = false;
    while (i < e) {
      size_t j;
      if (Op(i, e, "**")) {
        if (!first && !dict) return false;
        dict = true;
        j = OrExpr(i + 1, e);
      } else {
        j = Item(i, e, false);
        if (j != kNpos && Op(j, e, ":")) {
          if (!first && !dict) return false;
          dict = true;
          j = Test(j + 1, e);
        } else if (dict) {
          return false;
        }
      }
      if (j == kNpos) return false;
      if (first && (Word(j, e, "for") || Word(j, e, "async"))) return CompFor(j, e);
      first = false;
      if (j == e) return true;
      if (!Op(j, e, ",")) return false;
      i = j + 1;
    }
    return true;
  }

  // Call arguments in [i, e).
  size_t Args(size_t i, size_t e) {
    if (i == e) return e;
    bool first = true;
    while (i < e) {
      size_t j;
      if (Op(i, e, "*") || Op(i, e, "**")) {
        j = Test(i + 1, e);
      } else if (i + 1 < e && toks_[i].kind == kName && IsOp(toks_[i + 1], "=")) {
        j = Test(i + 2, e);
      } else {
        j = Item(i, e, true);
        if (first && j != kNpos && (Word(j, e, "for") || Word(j, e, "async"))) return CompFor(j, e) ? e : kNpos;
      }
      if (j == kNpos) return kNpos;
      first = false;
      if (j == e) return e;
      if (!Op(j, e, ",")) return kNpos;
      i = j + 1;
    }
    return e;
  }

  // Subscripts: slices and tests, comma-separated.
  size_t Slices(size_t i, size_t e) {
    while (i < e) {
      size_t j = i;
      if (Op(j, e, "*")) {
        j = OrExpr(j + 1, e);
      } else {
        if (!Op(j, e, ":")) j = Item(j, e, true);
        if (j == kNpos) return kNpos;
        for (int colons = 0; colons < 2 && Op(j, e, ":"); ++colons) {
          ++j;
          if (j < e && !Op(j, e, ":") && !Op(j, e, ",")) j = Test(j, e);
          if (j == kNpos) return kNpos;
        }
      }
      if (j == kNpos) return kNpos;
      if (j == e) return e;
      if (!Op(j, e, ",")) return kNpos;
      i = j + 1;
    }
    return e;
  }

  size_t Yield(size_t i, size_t e) {
    ++i;  // yield
    if (Word(i, e, "from")) return Test(i + 1, e);
    if (i == e) return e;
    return ExprList(i, e);
  }

  // Comma-separated tests and starred items (a tuple without brackets).
  size_t ExprList(size_t i, size_t e) {
    for (;;) {
      i = Item(i, e, false);
      if (i == kNpos) return kNpos;
      if (!Op(i, e, ",")) return i;
      ++i;
      if (i == e || Op(i, e, "=") || Op(i, e, ")") || IsAugmentedOp(i < e ? Text(toks_[i]) : "")) return i;
    }
  }

  // Assignment targets: names, attributes, subscripts, (starred) tuples.
  size_t Targets(size_t i, size_t e, bool stop_at_in) {
    for (;;) {
      if (Op(i, e, "*")) ++i;
      bool call = false;
      const size_t start = i;
      i = Primary(i, e, &call);
      if (i == kNpos || call) return kNpos;
      if (toks_[start].kind != kName && !IsOp(toks_[start], "(") && !IsOp(toks_[start], "[")) return kNpos;
      if (!Op(i, e, ",")) return i;
      ++i;
      if (i == e || (stop_at_in && Word(i, e, "in")) || Op(i, e, "=")) return i;
    }
  }

  // A simple statement's syntax (imports are read by Import/FromImport).
  bool ValidSimple(size_t a, size_t c) {
    const Tok& t0 = toks_[a];
    const std::string_view w = t0.kind == kName ? Text(t0) : std::string_view();
    if (w == "pass" || w == "break" || w == "continue") return c == a + 1;
    if (w == "return") return a + 1 == c || ExprList(a + 1, c) == c;
    if (w == "raise") {
      if (a + 1 == c) return true;
      size_t j = Test(a + 1, c);
      if (Word(j, c, "from")) j = Test(j + 1, c);
      return j == c;
    }
    if (w == "global" || w == "nonlocal") {
      size_t j = a + 1;
      for (;;) {
        if (j >= c || toks_[j].kind != kName || IsHardKeyword(Text(toks_[j]))) return false;
        ++j;
        if (j == c) return true;
        if (!Op(j, c, ",")) return false;
        ++j;
      }
    }
    if (w == "del") return a + 1 < c && Targets(a + 1, c, false) == c;
    if (w == "assert") {
      size_t j = Test(a + 1, c);
      if (Op(j, c, ",")) j = Test(j + 1, c);
      return j == c;
    }
    if (w == "yield") return Yield(a, c) == c;
    // Expression statement or assignment.
    size_t j = ExprList(a, c);
    if (j == kNpos) return false;
    if (j == c) return true;
    const std::string_view op = Text(toks_[j]);
    auto value = [&](size_t v) { return Word(v, c, "yield") ? Yield(v, c) : ExprList(v, c); };
    if (IsAugmentedOp(op)) return Targets(a, j, false) == j && j + 1 < c && value(j + 1) == c;
    if (op == ":") {
      if (Targets(a, j, false) != j) return false;
      size_t k = Test(j + 1, c);
      if (k == c) return true;
      return Op(k, c, "=") && k + 1 < c && value(k + 1) == c;
    }
    if (op != "=") return false;
    // targets = targets = ... = value
    size_t start = a;
    while (Op(j, c, "=")) {
      if (Targets(start, j, false) != j) return false;
      start = j + 1;
      if (start >= c) return false;
      j = value(start);
      if (j == kNpos) return false;
    }
    return j == c;
  }

  // def parameters in [i, e).
  bool Params(size_t i, size_t e) {
    while (i < e) {
      if (Op(i, e, "/")) {
        ++i;
      } else {
        if (Op(i, e, "*") || Op(i, e, "**")) ++i;
        if (i < e && toks_[i].kind == kName) {
          if (IsHardKeyword(Text(toks_[i]))) return false;
          ++i;
          if (Op(i, e, ":")) {
            i = Test(i + 1, e);
            if (i == kNpos) return false;
          }
          if (Op(i, e, "=")) {
            i = Test(i + 1, e);
            if (i == kNpos) return false;
          }
        } else if (!(i > 0 && IsOp(toks_[i - 1], "*") && Op(i, e, ","))) {
          return false;
        }
      }
      if (i == e) return true;
      if (!Op(i, e, ",")) return false;
      ++i;
    }
    return true;
  }

  // The part of a compound statement's header between keyword and colon.
  bool ValidHeader(std::string_view w, size_t b, size_t e) {
    if (w == "else" || w == "try" || w == "finally") return b == e;
    if (w == "if" || w == "elif" || w == "while") {
      if (b + 1 < e && toks_[b].kind == kName && IsOp(toks_[b + 1], ":=")) return Test(b + 2, e) == e;
      return Test(b, e) == e;
    }
    if (w == "except") {
      if (b == e) return true;
      size_t j = Test(b, e);
      if (Word(j, e, "as")) {
        if (j + 2 != e || toks_[j + 1].kind != kName || IsHardKeyword(Text(toks_[j + 1]))) return false;
        return true;
      }
      return j == e;
    }
    if (w == "for") {
      size_t j = Targets(b, e, true);
      return j != kNpos && Word(j, e, "in") && ExprList(j + 1, e) == e;
    }
    if (w == "with") {
      size_t j = b;
      for (;;) {
        j = Test(j, e);
        if (j == kNpos) return false;
        if (Word(j, e, "as")) {
          bool call = false;
          j = Primary(j + 1, e, &call);
          if (j == kNpos || call) return false;
        }
        if (j == e) return true;
        if (!Op(j, e, ",")) return false;
        ++j;
      }
    }
    return false;
  }

  // ---- Structure -------------------------------------------------------

  SourcePosition PositionOf(const Tok& t) const { return {t.line + 1, t.col + 1}; }

  // The closer matching the opener at toks_[open], or kNpos.
  size_t Matching(size_t open, size_t end) const {
    const std::string_view o = Text(toks_[open]);
    const std::string_view want = o == "(" ? ")" : o == "[" ? "]" : "}";
    for (size_t i = open + 1; i < end; ++i) {
      if (toks_[i].depth == toks_[open].depth && toks_[i].kind == kOp) {
        if (Text(toks_[i]) == want) return i;
        const std::string_view t = Text(toks_[i]);
        if (t == ")" || t == "]" || t == "}") return kNpos;
      }
    }
    return kNpos;
  }

  // The `:` ending a compound statement's header, searching from `from`.
  size_t HeaderColon(size_t from) const {
    for (size_t i = from; i < toks_.size(); ++i) {
      const Tok& t = toks_[i];
      if (t.depth != 0) continue;
      if (t.kind == kName && Text(t) == "lambda") return kNpos;
      if (t.kind == kOp && Text(t) == ":") return i;
    }
    return kNpos;
  }

  bool Pop() {
    if (frames_.back().prev == kPrevTry) return Bail("try without except or finally");
    ClassClosed(frames_.back(), prev_line_end_);
    frames_.pop_back();
    return true;
  }

  // A class's node spans from `class` to the end of its body's last token;
  // comments and blank lines after that may or may not belong to it. The
  // check runs when the next line (or the end of the file) is known.
  void ClassClosed(const Frame& f, uint32_t end) {
    if (f.kind != kClassFrame || hook_mentions_.empty()) return;
    closed_classes_.push_back({f.cls_nested, f.cls_index, f.start, end});
  }

  bool CheckHookMentions(uint32_t next_start) {
    for (const ClosedClass& c : closed_classes_) {
      for (uint32_t at : hook_mentions_) {
        const uint32_t stop = at + static_cast<uint32_t>(kPreHook.size());
        if (at >= c.start && stop <= c.end) {
          (c.nested ? nested_[c.index] : top_[c.index]).registers_load_pre_hook = true;
        } else if (at < next_start && stop > c.end && at >= c.start) {
          return Bail("a load_state_dict pre-hook mention just after a class body");
        }
      }
    }
    closed_classes_.clear();
    return true;
  }

  bool Line() {
    const int64_t indent = indent_;
    if (pending_decorator_ && indent != decorator_indent_) return Bail("decorator without a definition");
    if (pending_block_) {
      if (indent <= frames_.back().indent) return Bail("expected an indented block");
      pending_.indent = indent;
      frames_.push_back(std::move(pending_));
      pending_block_ = false;
    } else {
      if (indent > frames_.back().indent) return Bail("unexpected indent");
      while (indent < frames_.back().indent) {
        if (!Pop()) return false;
      }
      if (indent != frames_.back().indent) return Bail("dedent to no enclosing level");
    }
    if (!closed_classes_.empty() && !CheckHookMentions(toks_[0].begin)) return false;
    prev_line_end_ = toks_.back().end;
    return Statement();
  }

  bool Statement() {
    const size_t fi = frames_.size() - 1;
    const Tok& t0 = toks_[0];
    const std::string_view w = t0.kind == kName ? Text(t0) : std::string_view();
    const bool clause = w == "elif" || w == "else" || w == "except" || w == "finally";
    if (frames_[fi].prev == kPrevTry && w != "except" && w != "finally") {
      return Bail("try without except or finally");
    }
    if (pending_decorator_ && !(w == "class" || w == "def" || w == "async" || IsOp(t0, "@"))) {
      return Bail("decorator without a definition");
    }
    if (IsOp(t0, "@")) {
      if (toks_.size() < 2 || Test(1, toks_.size()) != toks_.size()) return Bail("unusual decorator");
      frames_[fi].prev = kPrevNone;
      pending_decorator_ = true;
      decorator_indent_ = indent_;
      return true;
    }
    if (w == "class") return ClassStatement();
    if (w == "def") return DefStatement(0);
    if (w == "async") {
      if (toks_.size() > 1 && IsWord(toks_[1], "def")) return DefStatement(1);
      if (toks_.size() > 1 && (IsWord(toks_[1], "for") || IsWord(toks_[1], "with"))) {
        if (pending_decorator_) return Bail("decorator without a definition");
        return Compound(1);
      }
      return Bail("async outside async def/for/with");
    }
    if (IsCompoundKeyword(w) || clause) return Compound(0);
    frames_[fi].prev = kPrevNone;
    return SimpleStatements(0, toks_.size());
  }

  // Pushes `child` for the block after the header colon at toks_[colon]: the
  // next lines', or this line's simple statements.
  bool OpenBlock(Frame child, size_t colon) {
    if (colon + 1 == toks_.size()) {
      pending_ = std::move(child);
      pending_block_ = true;
      return true;
    }
    child.indent = INT64_MAX;  // popped right after
    frames_.push_back(std::move(child));
    bool ok = SimpleStatements(colon + 1, toks_.size());
    ClassClosed(frames_.back(), toks_.back().end);
    frames_.pop_back();
    return ok;
  }

  bool Compound(size_t k) {
    const size_t fi = frames_.size() - 1;
    const std::string_view w = Text(toks_[k]);
    Frame child;
    child.kind = kOtherFrame;
    child.recorded = frames_[fi].recorded;
    child.walk = frames_[fi].walk;
    child.assign = frames_[fi].assign;
    const Prev prev = frames_[fi].prev;
    Prev next = kPrevNone;
    bool bare = false;  // the keyword is directly followed by ':'
    if (w == "elif" || w == "else" || w == "except" || w == "finally") {
      ++frames_[fi].clause;  // another clause of the same statement
    } else {
      ++frames_[fi].stmt;
      frames_[fi].clause = 0;
    }
    if (w == "if") {
      next = kPrevIf;
    } else if (w == "elif") {
      if (prev != kPrevIf) return Bail("elif without if");
      next = kPrevIf;
    } else if (w == "else") {
      bare = true;
      if (prev == kPrevIf) {
      } else if (prev == kPrevLoop) {
        child.walk = child.assign = false;
      } else if (prev == kPrevExcept) {
        next = kPrevTryElse;
      } else {
        return Bail("else without if, loop or except");
      }
    } else if (w == "try") {
      bare = true;
      next = kPrevTry;
    } else if (w == "except") {
      if (prev != kPrevTry && prev != kPrevExcept) return Bail("except without try");
      if (toks_.size() > k + 1 && toks_[k + 1].kind == kOp && Text(toks_[k + 1]) == "*") {
        return Bail("except*");
      }
      next = kPrevExcept;
    } else if (w == "finally") {
      bare = true;
      if (prev != kPrevTry && prev != kPrevExcept && prev != kPrevTryElse) return Bail("finally without try");
    } else if (w == "with") {
      child.assign = false;
    } else if (w == "for" || w == "while") {
      child.walk = child.assign = false;
      next = kPrevLoop;
    } else {
      return Bail("unexpected compound statement");
    }
    const size_t colon = HeaderColon(k + 1);
    if (colon == kNpos) return Bail("compound statement without a colon (or a lambda in its header)");
    if (bare != (colon == k + 1) && !(w == "except" && colon == k + 1)) {
      return Bail("malformed compound statement header");
    }
    if (!ValidHeader(w, k + 1, colon)) return Bail("a compound statement header the syntax check refuses");
    if (w == "if" && !frames_[fi].recorded && !MainGuard(k + 1, colon)) return false;
    if (child.assign) {
      child.walk_key = frames_[fi].walk_key;
      child.walk_key.insert(child.walk_key.end(), {1, -frames_[fi].stmt, -frames_[fi].clause});
    }
    frames_[fi].prev = next;
    return OpenBlock(std::move(child), colon);
  }

  // `if __name__ == "__main__":` as the index query reads it: a comparison
  // whose children are the identifier __name__ and then a string.
  bool MainGuard(size_t b, size_t e) {
    bool mentions = false;
    for (size_t i = b; i < e; ++i) mentions = mentions || IsWord(toks_[i], "__name__");
    if (!mentions) return true;
    if (e - b < 3 || !IsWord(toks_[b], "__name__") || toks_[e - 1].kind != kString) {
      return Bail("__name__ in an unusual condition");
    }
    const size_t ops = e - b - 2;
    bool op_ok = false;
    if (ops == 1) {
      const Tok& o = toks_[b + 1];
      const std::string_view t = Text(o);
      op_ok = (o.kind == kOp && (t == "==" || t == "!=" || t == "<" || t == ">" || t == "<=" || t == ">=" ||
                                 t == "<>")) ||
              (o.kind == kName && (t == "in" || t == "is"));
    } else if (ops == 2) {
      op_ok = (IsWord(toks_[b + 1], "not") && IsWord(toks_[b + 2], "in")) ||
              (IsWord(toks_[b + 1], "is") && IsWord(toks_[b + 2], "not"));
    }
    if (!op_ok) return Bail("__name__ in an unusual condition");
    std::string value;
    int v = StringValue(toks_[e - 1], &value);
    if (v < 0) return Bail("escapes in the main guard's string");
    if (v > 0 && value == "__main__") file_->has_main_guard = true;
    return true;
  }

  // A string token's value as StringLiteralValue reads it: 1 plain (value
  // set), 0 not plain (an f-string), -1 refused (escapes).
  int StringValue(const Tok& t, std::string* out) const {
    if (t.fstring) return 0;
    if (t.backslash) return -1;
    const std::string_view text = Text(t);
    const size_t skip = static_cast<size_t>(t.prefix) + t.quotes;
    if (text.size() < skip + t.quotes) return -1;
    *out = std::string(text.substr(skip, text.size() - skip - t.quotes));
    return 1;
  }

  std::string Qualified(const std::string& name) const {
    std::string q;
    for (const Frame& f : frames_) {
      if (f.kind == kClassFrame || f.kind == kDefFrame) {
        q += f.name;
        q += '.';
      }
    }
    q += name;
    const std::string& module = file_->info.module_name;
    return module.empty() ? q : module + "." + q;
  }

  ClassInfo& ClassOf(const Frame& f) { return f.cls_nested ? nested_[f.cls_index] : top_[f.cls_index]; }

  bool ClassStatement() {
    const size_t fi = frames_.size() - 1;
    frames_[fi].prev = kPrevNone;
    pending_decorator_ = false;
    if (toks_.size() < 3 || toks_[1].kind != kName) return Bail("malformed class header");
    const std::string_view name = Text(toks_[1]);
    if (IsHardKeyword(name) || IsSoftKeyword(name)) return Bail("keyword as a class name");
    ClassInfo cls;
    size_t colon = 2;
    if (IsOp(toks_[2], "(")) {
      const size_t close = Matching(2, toks_.size());
      if (close == kNpos) return Bail("malformed class header");
      if (!Bases(3, close, &cls.base_texts)) return false;
      colon = close + 1;
    }
    if (colon >= toks_.size() || !IsOp(toks_[colon], ":")) return Bail("malformed class header");
    cls.name = std::string(name);
    cls.module = file_->info.module_name;
    cls.qualified_name = Qualified(cls.name);
    cls.path = file_->info.path;
    cls.position = PositionOf(toks_[0]);
    cls.nested = frames_[fi].recorded;

    Frame child;
    child.kind = kClassFrame;
    child.walk = child.assign = false;
    child.recorded = frames_[fi].recorded || frames_[fi].walk;
    child.name = cls.name;
    child.cls_nested = cls.nested;
    child.start = toks_[0].begin;
    if (cls.nested) {
      child.cls_index = static_cast<int>(nested_.size());
      nested_.push_back(std::move(cls));
    } else {
      child.cls_index = static_cast<int>(top_.size());
      top_.push_back(std::move(cls));
    }
    return OpenBlock(std::move(child), colon);
  }

  // The superclasses between `(` and `)` as ExtractClass writes them.
  bool Bases(size_t b, size_t e, std::vector<std::string>* out) {
    const uint16_t depth = static_cast<uint16_t>(toks_[b - 1].depth + 1);
    size_t a = b;
    while (a <= e) {
      size_t c = a;
      while (c < e && !(toks_[c].depth == depth && IsOp(toks_[c], ","))) ++c;
      if (a == c) {
        if (c != e) return Bail("empty superclass");
      } else if (!Base(a, c, out)) {
        return false;
      }
      a = c + 1;
    }
    return true;
  }

  bool Base(size_t a, size_t c, std::vector<std::string>* out) {
    // keyword argument (metaclass=...): skipped.
    if (toks_[a].kind == kName && a + 1 < c && IsOp(toks_[a + 1], "=")) {
      if (IsHardKeyword(Text(toks_[a]))) return Bail("keyword as a keyword argument");
      if (Test(a + 2, c) != c) return Bail("unusual keyword argument");
      return true;
    }
    for (size_t i = a + 1; i < c; ++i) {
      if (toks_[i].comment_before) return Bail("comment inside a superclass");
    }
    // DottedText: the base's source without whitespace and backslashes; for
    // a subscript (Generic[T]) its value's.
    if (Test(a, c) != c) return Bail("unusual superclass");
    bool call = false;
    size_t subscript = kNpos;
    size_t end = c;
    if (Primary(a, c, &call, &subscript) == c && subscript != kNpos) end = subscript;
    std::string text;
    for (uint32_t p = toks_[a].begin; p < toks_[end - 1].end; ++p) {
      const char ch = s_[p];
      if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '\\') text += ch;
    }
    out->push_back(std::move(text));
    return true;
  }

  bool DefStatement(size_t k) {
    const size_t fi = frames_.size() - 1;
    frames_[fi].prev = kPrevNone;
    pending_decorator_ = false;
    if (toks_.size() < k + 4 || toks_[k + 1].kind != kName || !IsOp(toks_[k + 2], "(")) {
      return Bail("malformed def header");
    }
    const std::string_view name = Text(toks_[k + 1]);
    if (IsHardKeyword(name)) return Bail("keyword as a function name");
    const size_t close = Matching(k + 2, toks_.size());
    if (close == kNpos) return Bail("malformed def header");
    const size_t colon = HeaderColon(close + 1);
    if (colon == kNpos) return Bail("malformed def header");
    if (colon != close + 1 && !IsOp(toks_[close + 1], "->")) return Bail("malformed def header");
    if (colon == close + 2) return Bail("empty return annotation");
    if (!Params(k + 3, close)) return Bail("parameters the syntax check refuses");
    if (colon != close + 1 && Test(close + 2, colon) != colon) return Bail("unusual return annotation");
    Frame& f = frames_[fi];
    std::string fname(name);
    if (f.kind == kClassFrame) {
      ClassInfo& cls = ClassOf(f);
      if (fname == "_load_from_state_dict") cls.overrides_load_from_state_dict = true;
      if (fname == "get_extra_state") cls.overrides_get_extra_state = true;
      if (fname == "state_dict" || fname == "_save_to_state_dict") cls.overrides_state_dict = true;
      cls.methods.push_back(fname);
    }
    if (!f.recorded) {
      FunctionInfo fn;
      fn.name = fname;
      fn.module = file_->info.module_name;
      fn.qualified_name = fn.module.empty() ? fn.name : fn.module + "." + fn.name;
      fn.path = file_->info.path;
      fn.position = PositionOf(toks_[0]);
      file_->functions.push_back(std::move(fn));
    }
    Frame child;
    child.kind = kDefFrame;
    child.walk = child.assign = false;
    child.recorded = f.recorded || f.walk;
    child.name = std::move(fname);
    return OpenBlock(std::move(child), colon);
  }

  bool SimpleStatements(size_t b, size_t e) {
    size_t a = b;
    while (a < e) {
      size_t c = a;
      while (c < e && !(toks_[c].depth == 0 && IsOp(toks_[c], ";"))) ++c;
      if (a == c) return Bail("empty statement");
      ++frames_.back().stmt;
      if (!SimpleStatement(a, c)) return false;
      a = c + 1;
      if (a == e) break;  // a trailing `;`
    }
    return true;
  }

  // The index of the `=` of an annotated assignment `NAME: T = value`
  // (searching from `from`), or kNpos when there is no value.
  size_t AnnotatedEquals(size_t from, size_t c) {
    for (size_t i = from; i < c; ++i) {
      if (toks_[i].depth != 0) continue;
      if (IsWord(toks_[i], "lambda")) return Bail("lambda in an annotation"), kNpos - 1;
      if (IsOp(toks_[i], "=")) return i;
    }
    return kNpos;
  }

  static bool IsAugmentedOp(std::string_view t) {
    return t == "+=" || t == "-=" || t == "*=" || t == "/=" || t == "//=" || t == "%=" || t == "**=" ||
           t == ">>=" || t == "<<=" || t == "&=" || t == "^=" || t == "|=" || t == "@=";
  }

  bool SimpleStatement(size_t a, size_t c) {
    const Frame& f = frames_.back();
    const Tok& t0 = toks_[a];
    const Tok& last = toks_[c - 1];
    if (last.depth == 0 && IsOp(last, ":")) return Bail("unrecognised compound statement");
    if (IsOp(t0, "@")) return Bail("decorator in a simple statement");
    const std::string_view w = t0.kind == kName ? Text(t0) : std::string_view();
    if (IsCompoundKeyword(w)) return Bail("compound statement after a colon or semicolon");
    if (w == "import") return Import(a, c, !f.recorded);
    if (w == "from") return FromImport(a, c, !f.recorded);
    if ((w == "print" || w == "exec") && c - a > 1 && !IsOp(toks_[a + 1], "(")) {
      return Bail("Python 2 print or exec statement");
    }
    if (!ValidSimple(a, c)) return Bail("a statement the pre-scan's syntax check refuses");
    if ((w == "await") && c - a > 1 && IsOp(toks_[a + 1], "=")) return Bail("assignment to a keyword");

    // `NAME = value` / `NAME: T = value`: the right-hand side's range.
    size_t rhs = kNpos;
    if (t0.kind == kName && c - a >= 2) {
      if (IsOp(toks_[a + 1], "=")) {
        rhs = a + 2;
      } else if (IsOp(toks_[a + 1], ":")) {
        size_t eq = AnnotatedEquals(a + 2, c);
        if (eq == kNpos - 1) return false;
        if (eq != kNpos) rhs = eq + 1;
      }
      if (rhs != kNpos && rhs >= c) return Bail("assignment without a value");
      if (rhs != kNpos && IsHardKeyword(w)) return Bail("assignment to a keyword");
    }

    if (!f.recorded && !AllStatement(a, c, rhs)) return false;
    if (f.assign && rhs != kNpos) Assignment(t0, rhs, c);
    if (f.kind == kClassFrame && w == "_version" && rhs != kNpos && c - rhs == 1 && toks_[rhs].kind == kNumber &&
        toks_[rhs].integer) {
      std::string digits(Text(toks_[rhs]));
      std::erase(digits, '_');
      char* end = nullptr;
      long long v = std::strtoll(digits.c_str(), &end, 0);
      if (end != nullptr && *end == '\0') ClassOf(f).version = v;
    }
    return true;
  }

  // `__all__ = [...]`, `__all__ += [...]` (the index query's @all and
  // @all.extend), in document order.
  bool AllStatement(size_t a, size_t c, size_t rhs) {
    bool mentions = false;
    for (size_t i = a; i < c; ++i) {
      if (IsWord(toks_[i], "__all__")) {
        mentions = true;
        if (i > a && i + 1 < c && toks_[i].depth == 0 &&
            (IsOp(toks_[i + 1], "=") || IsOp(toks_[i + 1], ":") || IsAugmentedOp(Text(toks_[i + 1])))) {
          return Bail("__all__ assigned in an unusual statement");
        }
      }
    }
    if (!mentions || !IsWord(toks_[a], "__all__") || c - a < 2) return true;
    const std::string_view op = Text(toks_[a + 1]);
    if (toks_[a + 1].kind != kOp) return true;
    if (IsAugmentedOp(op)) {
      file_->has_all = true;
      return ReadStringList(a + 2, c);
    }
    if (rhs == kNpos) return true;  // `__all__: list` (no value), `__all__.extend(...)`, ...
    for (size_t i = rhs; i < c; ++i) {
      if (toks_[i].depth == 0 && toks_[i].kind == kOp && (Text(toks_[i]) == "=" || IsAugmentedOp(Text(toks_[i])))) {
        return Bail("chained assignment to __all__");
      }
    }
    file_->all.clear();
    file_->has_all = true;
    return ReadStringList(rhs, c);
  }

  // ReadStringList: the plain strings of a list or tuple display.
  bool ReadStringList(size_t b, size_t e) {
    if (b >= e) return Bail("augmented assignment without a value");
    const bool list = IsOp(toks_[b], "[");
    if (!list && !IsOp(toks_[b], "(")) return true;
    if (Matching(b, e) != e - 1) return true;
    const uint16_t depth = static_cast<uint16_t>(toks_[b].depth + 1);
    bool comma = false;
    for (size_t i = b + 1; i + 1 < e; ++i) {
      if (toks_[i].depth != depth) continue;
      if (IsWord(toks_[i], "for")) return true;  // a comprehension
      comma = comma || IsOp(toks_[i], ",");
    }
    if (!list && !comma && e - b > 2) return true;  // parenthesised expression
    size_t a = b + 1;
    while (a < e - 1) {
      size_t c = a;
      while (c < e - 1 && !(toks_[c].depth == depth && IsOp(toks_[c], ","))) ++c;
      if (a == c) return Bail("empty element");
      bool strings = true;
      for (size_t i = a; i < c; ++i) strings = strings && toks_[i].kind == kString;
      if (strings) {
        std::string value;
        bool plain = true;
        for (size_t i = a; i < c; ++i) {
          std::string part;
          int v = StringValue(toks_[i], &part);
          if (v < 0) return Bail("escapes in __all__");
          if (v == 0) plain = false;
          value += part;
        }
        if (plain) file_->all.push_back(std::move(value));
      }
      a = c + 1;
    }
    return true;
  }

  void Assignment(const Tok& target, size_t b, size_t e) {
    AssignmentShape shape;
    const size_t m = e - b;
    const Tok& first = toks_[b];
    bool dotted = first.kind == kName && (m % 2) == 1;
    if (dotted && m == 1 && IsHardKeyword(Text(first))) dotted = false;  // None, True, ...
    for (size_t i = b + 1; dotted && i < e; i += 2) {
      dotted = IsOp(toks_[i], ".") && toks_[i + 1].kind == kName && !IsHardKeyword(Text(toks_[i + 1]));
    }
    if (dotted && m > 1 && IsHardKeyword(Text(first))) dotted = false;
    if (m == 1 && (Text(first) == "async" || Text(first) == "await")) {
      shape.kind = AssignmentShape::Kind::kUnsure;  // tree-sitter may read it as an identifier
    } else if (dotted) {
      shape.kind = AssignmentShape::Kind::kName;
      shape.text.assign(s_ + first.begin, toks_[e - 1].end - first.begin);
    } else if (m >= 2 && toks_[e - 1].kind == kName && IsOp(toks_[e - 2], ".")) {
      shape.kind = AssignmentShape::Kind::kUnsure;
    }
    // ModuleIndex's assignment walk pops blocks off a stack: a block's own
    // assignments in order, then its compound statements last to first, and
    // their clauses last to first; the last assignment visited wins. As a
    // sort key per level: (0, statement) for an assignment, (1, -statement,
    // -clause) for a block inside a compound statement.
    const Frame& f = frames_.back();
    std::vector<int64_t> key = f.walk_key;
    key.insert(key.end(), {0, f.stmt});
    auto [it, inserted] = assigns_.try_emplace(std::string(Text(target)));
    if (inserted || it->second.first < key) it->second = {std::move(key), std::move(shape)};
  }

  // A dotted name at toks_[*i] (advanced past it).
  bool DottedName(size_t* i, size_t c, std::string* out) {
    if (*i >= c || toks_[*i].kind != kName || IsHardKeyword(Text(toks_[*i]))) return false;
    out->assign(Text(toks_[*i]));
    ++*i;
    while (*i + 1 < c && IsOp(toks_[*i], ".") && toks_[*i + 1].kind == kName) {
      if (IsHardKeyword(Text(toks_[*i + 1]))) return false;
      *out += '.';
      *out += Text(toks_[*i + 1]);
      *i += 2;
    }
    return true;
  }

  // `as NAME` at toks_[*i], if there.
  bool Alias(size_t* i, size_t c, std::string* alias, bool* has) {
    *has = false;
    if (*i < c && IsWord(toks_[*i], "as")) {
      if (*i + 1 >= c || toks_[*i + 1].kind != kName || IsHardKeyword(Text(toks_[*i + 1]))) return false;
      alias->assign(Text(toks_[*i + 1]));
      *has = true;
      *i += 2;
    }
    return true;
  }

  bool Import(size_t a, size_t c, bool record) {
    const SourcePosition pos = PositionOf(toks_[a]);
    size_t i = a + 1;
    if (i >= c) return Bail("empty import");
    for (;;) {
      std::string dotted;
      std::string alias;
      bool has_alias = false;
      if (!DottedName(&i, c, &dotted) || !Alias(&i, c, &alias, &has_alias)) return Bail("malformed import");
      ImportBinding bnd;
      bnd.position = pos;
      bnd.is_module_import = true;
      if (!record) {
      } else if (has_alias) {
        bnd.target = dotted;
        bnd.local_name = alias;
        file_->imports.push_back(bnd);
      } else {
        bnd.local_name = dotted.substr(0, dotted.find('.'));
        bnd.target = bnd.local_name;
        file_->imports.push_back(bnd);
        if (dotted != bnd.local_name) {
          ImportBinding full = bnd;
          full.local_name = dotted;
          full.target = dotted;
          file_->imports.push_back(std::move(full));
        }
      }
      if (i == c) return true;
      if (!IsOp(toks_[i], ",") || i + 1 == c) return Bail("malformed import");
      ++i;
    }
  }

  bool FromImport(size_t a, size_t c, bool record) {
    const SourcePosition pos = PositionOf(toks_[a]);
    size_t i = a + 1;
    int dots = 0;
    while (i < c && toks_[i].kind == kOp && (Text(toks_[i]) == "." || Text(toks_[i]) == "...")) {
      dots += static_cast<int>(Text(toks_[i]).size());
      ++i;
    }
    std::string name;
    if (i < c && !IsWord(toks_[i], "import")) {
      if (!DottedName(&i, c, &name)) return Bail("malformed from-import");
    }
    if (dots == 0 && name.empty()) return Bail("malformed from-import");
    if (i >= c || !IsWord(toks_[i], "import")) return Bail("malformed from-import");
    ++i;
    if (dots == 0 && name == "__future__") return true;  // a future_import_statement: not indexed
    const std::string base =
        dots > 0 ? ResolveRelativeModule(file_->info.module_name, file_->info.is_package, dots, name) : name;
    if (i < c && IsOp(toks_[i], "*")) {
      if (i + 1 != c) return Bail("malformed from-import");
      if (record) file_->star_imports.push_back(base);
      return true;
    }
    size_t end = c;
    const bool paren = i < c && IsOp(toks_[i], "(");
    if (paren) {
      if (Matching(i, c) != c - 1) return Bail("malformed from-import");
      ++i;
      end = c - 1;
    }
    if (i >= end) return Bail("empty from-import");
    for (;;) {
      std::string dotted;
      std::string alias;
      bool has_alias = false;
      if (!DottedName(&i, end, &dotted) || !Alias(&i, end, &alias, &has_alias)) return Bail("malformed from-import");
      ImportBinding bnd;
      bnd.position = pos;
      bnd.local_name = has_alias ? alias : dotted;
      bnd.target = base.empty() ? dotted : base + "." + dotted;
      if (record) file_->imports.push_back(std::move(bnd));
      if (i == end) return true;
      if (!IsOp(toks_[i], ",")) return Bail("malformed from-import");
      ++i;
      if (i == end) {
        if (!paren) return Bail("trailing comma in an unparenthesised import");
        return true;
      }
    }
  }

  const char* s_;
  size_t n_;
  IndexedFile* file_;
  const char* reason_ = nullptr;

  size_t pos_ = 0;
  uint32_t line_ = 0;
  size_t line_start_ = 0;
  std::vector<Tok> toks_;
  int64_t indent_ = 0;

  std::vector<Frame> frames_;
  bool pending_block_ = false;
  Frame pending_;
  bool pending_decorator_ = false;
  int64_t decorator_indent_ = 0;
  std::vector<ClassInfo> top_;
  std::vector<ClassInfo> nested_;
  std::map<std::string, std::pair<std::vector<int64_t>, AssignmentShape>> assigns_;
  int syntax_depth_ = 0;
  uint32_t prev_line_end_ = 0;
  std::vector<uint32_t> hook_mentions_;
  std::vector<ClosedClass> closed_classes_;
};

void ClearFacts(IndexedFile* file) {
  file->imports.clear();
  file->star_imports.clear();
  file->has_all = false;
  file->all.clear();
  file->has_main_guard = false;
  file->assignments.clear();
  file->assignment_shapes.clear();
  file->classes.clear();
  file->functions.clear();
  file->has_syntax_errors = false;
}

}  // namespace

bool PrescanPython(std::string_view source, IndexedFile* file, const char** reason) {
  ClearFacts(file);
  Prescanner scanner(source, file);
  if (scanner.Run()) return true;
  ClearFacts(file);
  if (reason != nullptr) *reason = scanner.reason() != nullptr ? scanner.reason() : "refused";
  return false;
}

}  // namespace ptlint
