// The pre-scan's syntax check (second of its four parts, see
// prescan_lexer.h): is a range of a logical line's tokens valid Python?
// Expressions (tests, operands, displays, comprehensions, calls, slices,
// lambdas), and the statement shapes built from them: simple statements,
// compound statement headers, def parameters.
//
// A recogniser of Python's expression and statement syntax over a logical
// line's tokens: a file it rejects is parsed by tree-sitter instead, so
// that tree-sitter's error recovery (whose facts the pre-scan cannot
// predict) only ever runs on real trees. Each function returns the index
// after what it read, or kNpos. Strict: rare valid forms are refused too.
// Reads tokens only: it records nothing and never refuses by itself (the
// caller turns kNpos/false into a reason).
#ifndef PTLINT_ANALYZER_PYTHON_PRESCAN_EXPRESSIONS_H_
#define PTLINT_ANALYZER_PYTHON_PRESCAN_EXPRESSIONS_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "analyzer/python/prescan_lexer.h"

namespace ptlint {
namespace prescan {

inline bool IsAugmentedOp(std::string_view t) {
  return t == "+=" || t == "-=" || t == "*=" || t == "/=" || t == "//=" || t == "%=" ||
         t == "**=" || t == ">>=" || t == "<<=" || t == "&=" || t == "^=" || t == "|=" || t == "@=";
}

class Expressions {
 public:
  // Reads `lexer`'s current logical line (toks()).
  explicit Expressions(const Lexer& lexer) : lex_(lexer), toks_(lexer.toks()) {}

  // test: lambda, conditional expression, or an or-expression.
  size_t Test(size_t i, size_t e);
  // An atom and its trailers. `last_call`: whether the last trailer is a call.
  size_t Primary(size_t i, size_t e, bool* last_call, size_t* last_subscript = nullptr);
  // The closer matching the opener at toks[open], or kNpos.
  size_t Matching(size_t open, size_t end) const;
  // A simple statement's syntax (imports are read by the fact extraction).
  bool ValidSimple(size_t a, size_t c);
  // def parameters in [i, e).
  bool Params(size_t i, size_t e);
  // The part of a compound statement's header between keyword and colon.
  bool ValidHeader(std::string_view w, size_t b, size_t e);

 private:
  std::string_view Text(const Tok& t) const { return lex_.Text(t); }
  bool IsOp(const Tok& t, std::string_view op) const { return lex_.IsOp(t, op); }
  bool IsWord(const Tok& t, std::string_view w) const { return lex_.IsWord(t, w); }
  bool Word(size_t i, size_t e, std::string_view w) const { return i < e && IsWord(toks_[i], w); }
  bool Op(size_t i, size_t e, std::string_view o) const { return i < e && IsOp(toks_[i], o); }

  // Bounded recursion on hostile input (brackets are capped, lambdas are not).
  struct DepthGuard {
    int* depth;
    explicit DepthGuard(int* d) : depth(d) { ++*depth; }
    ~DepthGuard() { --*depth; }
  };

  size_t OrExpr(size_t i, size_t e);
  size_t Group(size_t i, size_t e);
  bool CompFor(size_t i, size_t e);
  size_t Item(size_t i, size_t e, bool named);
  bool Items(size_t i, size_t e, bool named);
  bool DictOrSet(size_t i, size_t e);
  size_t Args(size_t i, size_t e);
  size_t Slices(size_t i, size_t e);
  size_t Yield(size_t i, size_t e);
  size_t ExprList(size_t i, size_t e);
  size_t Targets(size_t i, size_t e, bool stop_at_in);

  const Lexer& lex_;
  const std::vector<Tok>& toks_;
  int syntax_depth_ = 0;
};

}  // namespace prescan
}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PRESCAN_EXPRESSIONS_H_
