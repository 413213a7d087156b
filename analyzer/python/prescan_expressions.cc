// The pre-scan's syntax check (see prescan_expressions.h): a recursive
// recogniser over one logical line's tokens, one function per production.
#include "analyzer/python/prescan_expressions.h"

namespace ptlint {
namespace prescan {

// test: lambda, conditional expression, or an or-expression.
size_t Expressions::Test(size_t i, size_t e) {
  DepthGuard guard(&syntax_depth_);
  if (syntax_depth_ > 400) return kNpos;
  if (Word(i, e, "lambda")) {
    // Parameters up to the ':' at this depth (defaults are not read).
    const uint16_t depth = toks_[i].depth;
    size_t j = i + 1;
    while (j < e && !(toks_[j].depth == depth && IsOp(toks_[j], ":"))) {
      if (toks_[j].depth == depth && toks_[j].kind == kOp && Text(toks_[j]) != "," &&
          Text(toks_[j]) != "*" && Text(toks_[j]) != "**" && Text(toks_[j]) != "=" &&
          Text(toks_[j]) != "/" && Text(toks_[j]) != "(" && Text(toks_[j]) != ")" &&
          Text(toks_[j]) != "[" && Text(toks_[j]) != "]" && Text(toks_[j]) != "{" &&
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
size_t Expressions::OrExpr(size_t i, size_t e) {
  for (;;) {
    while (i < e && (Word(i, e, "not") || Word(i, e, "await") ||
                     (toks_[i].kind == kOp &&
                      (Text(toks_[i]) == "-" || Text(toks_[i]) == "+" || Text(toks_[i]) == "~")))) {
      ++i;
    }
    i = Primary(i, e, nullptr);
    if (i == kNpos) return kNpos;
    if (i >= e) return i;
    const Tok& t = toks_[i];
    if (t.kind == kOp) {
      const std::string_view o = Text(t);
      if (o == "+" || o == "-" || o == "*" || o == "/" || o == "//" || o == "%" || o == "@" ||
          o == "**" || o == "<<" || o == ">>" || o == "&" || o == "|" || o == "^" || o == "<" ||
          o == ">" || o == "<=" || o == ">=" || o == "==" || o == "!=" || o == "<>") {
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
size_t Expressions::Primary(size_t i, size_t e, bool* last_call, size_t* last_subscript) {
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
size_t Expressions::Group(size_t i, size_t e) {
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
bool Expressions::CompFor(size_t i, size_t e) {
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
size_t Expressions::Item(size_t i, size_t e, bool named) {
  if (Op(i, e, "*")) return OrExpr(i + 1, e);
  if (named && i + 1 < e && toks_[i].kind == kName && IsOp(toks_[i + 1], ":="))
    return Test(i + 2, e);
  return Test(i, e);
}

// Comma-separated items, or one item and a comprehension.
bool Expressions::Items(size_t i, size_t e, bool named) {
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

bool Expressions::DictOrSet(size_t i, size_t e) {
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
size_t Expressions::Args(size_t i, size_t e) {
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
      if (first && j != kNpos && (Word(j, e, "for") || Word(j, e, "async")))
        return CompFor(j, e) ? e : kNpos;
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
size_t Expressions::Slices(size_t i, size_t e) {
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

size_t Expressions::Yield(size_t i, size_t e) {
  ++i;  // yield
  if (Word(i, e, "from")) return Test(i + 1, e);
  if (i == e) return e;
  return ExprList(i, e);
}

// Comma-separated tests and starred items (a tuple without brackets).
size_t Expressions::ExprList(size_t i, size_t e) {
  for (;;) {
    i = Item(i, e, false);
    if (i == kNpos) return kNpos;
    if (!Op(i, e, ",")) return i;
    ++i;
    if (i == e || Op(i, e, "=") || Op(i, e, ")") || IsAugmentedOp(i < e ? Text(toks_[i]) : ""))
      return i;
  }
}

// Assignment targets: names, attributes, subscripts, (starred) tuples.
size_t Expressions::Targets(size_t i, size_t e, bool stop_at_in) {
  for (;;) {
    if (Op(i, e, "*")) ++i;
    bool call = false;
    const size_t start = i;
    i = Primary(i, e, &call);
    if (i == kNpos || call) return kNpos;
    if (toks_[start].kind != kName && !IsOp(toks_[start], "(") && !IsOp(toks_[start], "["))
      return kNpos;
    if (!Op(i, e, ",")) return i;
    ++i;
    if (i == e || (stop_at_in && Word(i, e, "in")) || Op(i, e, "=")) return i;
  }
}

// A simple statement's syntax (imports are read by Import/FromImport).
bool Expressions::ValidSimple(size_t a, size_t c) {
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
bool Expressions::Params(size_t i, size_t e) {
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
bool Expressions::ValidHeader(std::string_view w, size_t b, size_t e) {
  if (w == "else" || w == "try" || w == "finally") return b == e;
  if (w == "if" || w == "elif" || w == "while") {
    if (b + 1 < e && toks_[b].kind == kName && IsOp(toks_[b + 1], ":=")) return Test(b + 2, e) == e;
    return Test(b, e) == e;
  }
  if (w == "except") {
    if (b == e) return true;
    size_t j = Test(b, e);
    if (Word(j, e, "as")) {
      if (j + 2 != e || toks_[j + 1].kind != kName || IsHardKeyword(Text(toks_[j + 1])))
        return false;
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

// The closer matching the opener at toks_[open], or kNpos.
size_t Expressions::Matching(size_t open, size_t end) const {
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

}  // namespace prescan
}  // namespace ptlint
