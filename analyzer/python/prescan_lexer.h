// The pre-scan's lexer: Python source bytes to the tokens of one logical
// line at a time (brackets joined, comments and blank lines skipped, the
// indentation measured), the way tree-sitter-python's scanner reads them.
//
// It is the first of the pre-scan's four parts (python_prescan.h):
//   prescan_lexer        bytes -> tokens of a logical line
//   prescan_expressions  is a token range valid Python (expressions, simple
//                        statements, headers, parameters)?
//   prescan_blocks       indentation, blocks and compound statements
//   prescan_facts        what the index needs: imports, classes, defs, ...
// so that each can be read and changed on its own, as ruff_python_parser
// splits its parser. Like the rest of the pre-scan it refuses what it does
// not model exactly (tabs in indentation, f-string expressions with
// comments or backslashes, ...): NextLine returns -1 and reason() says why.
#ifndef PTLINT_ANALYZER_PYTHON_PRESCAN_LEXER_H_
#define PTLINT_ANALYZER_PYTHON_PRESCAN_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ptlint {
namespace prescan {

enum TokKind : uint8_t { kName, kNumber, kString, kOp };

struct Tok {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t line = 0;   // 0-based row
  uint32_t col = 0;    // byte column
  uint16_t depth = 0;  // bracket depth outside the token (an opener and its closer share it)
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

constexpr size_t kNpos = static_cast<size_t>(-1);

// Python's reserved words: never an identifier (tree-sitter's
// keyword_identifier covers print, exec, match, case, type, which are not here).
inline bool IsHardKeyword(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
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
inline bool IsSoftKeyword(std::string_view w) {
  return w == "print" || w == "exec" || w == "match" || w == "case" || w == "type";
}

inline bool IsCompoundKeyword(std::string_view w) {
  return w == "class" || w == "def" || w == "if" || w == "elif" || w == "else" || w == "try" ||
         w == "except" || w == "finally" || w == "with" || w == "for" || w == "while" ||
         w == "async";
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : s_(source.data()), n_(source.size()) {
    toks_.reserve(256);
  }

  // The next logical line into toks() (indentation in indent()): 1, 0 at the
  // end of the file, -1 when refused.
  int NextLine();
  const std::vector<Tok>& toks() const { return toks_; }
  int64_t indent() const { return indent_; }

  std::string_view Text(const Tok& t) const {
    return std::string_view(s_ + t.begin, t.end - t.begin);
  }
  bool IsOp(const Tok& t, std::string_view op) const { return t.kind == kOp && Text(t) == op; }
  bool IsWord(const Tok& t, std::string_view w) const { return t.kind == kName && Text(t) == w; }

  // Refuses the file: the first reason given is kept. Returns false.
  bool Bail(const char* why) {
    if (reason_ == nullptr) reason_ = why;
    return false;
  }
  const char* reason() const { return reason_; }

 private:
  void NewLine(size_t next_line_start);
  size_t OpLength(size_t p) const;
  size_t ScanNumber(size_t p, bool* integer);
  size_t ScanString(size_t p, bool fmt, int nesting, Tok* tok);
  size_t ScanInterpolation(size_t p, bool multiline, int nesting);
  size_t ScanFormatSpec(size_t p, int nesting);

  const char* s_;
  size_t n_;
  const char* reason_ = nullptr;

  size_t pos_ = 0;
  uint32_t line_ = 0;
  size_t line_start_ = 0;
  std::vector<Tok> toks_;
  int64_t indent_ = 0;
};

}  // namespace prescan
}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PRESCAN_LEXER_H_
