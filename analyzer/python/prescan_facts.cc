// The pre-scan's fact extraction (last of its four parts, see
// prescan_lexer.h): what ModuleIndex's tree-based extraction (ExtractFromTree)
// finds, read from the tokens instead of a tree: imports and star imports,
// `__all__`, the main guard, module-level assignments and their shapes,
// classes (bases, methods, `_version`, state-dict overrides, load pre-hook
// mentions) and module-level functions. Refuses the shapes it cannot
// reproduce exactly (an unusual `__all__`, `__name__` in an odd condition,
// escapes in the strings it reads, ...).
#include <cstdlib>
#include <string>
#include <vector>

#include "analyzer/python/prescan_blocks.h"

namespace ptlint {
namespace prescan {

// A class's node spans from `class` to the end of its body's last token;
// comments and blank lines after that may or may not belong to it. The
// check runs when the next line (or the end of the file) is known.
void Prescanner::ClassClosed(const Frame& f, uint32_t end) {
  if (f.kind != kClassFrame || hook_mentions_.empty()) return;
  closed_classes_.push_back({f.cls_nested, f.cls_index, f.start, end});
}

bool Prescanner::CheckHookMentions(uint32_t next_start) {
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

// `if __name__ == "__main__":` as the index query reads it: a comparison
// whose children are the identifier __name__ and then a string.
bool Prescanner::MainGuard(size_t b, size_t e) {
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
    op_ok = (o.kind == kOp && (t == "==" || t == "!=" || t == "<" || t == ">" || t == "<=" ||
                               t == ">=" || t == "<>")) ||
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
int Prescanner::StringValue(const Tok& t, std::string* out) const {
  if (t.fstring) return 0;
  if (t.backslash) return -1;
  const std::string_view text = Text(t);
  const size_t skip = static_cast<size_t>(t.prefix) + t.quotes;
  if (text.size() < skip + t.quotes) return -1;
  *out = std::string(text.substr(skip, text.size() - skip - t.quotes));
  return 1;
}

std::string Prescanner::Qualified(const std::string& name) const {
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

bool Prescanner::ClassStatement() {
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
bool Prescanner::Bases(size_t b, size_t e, std::vector<std::string>* out) {
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

bool Prescanner::Base(size_t a, size_t c, std::vector<std::string>* out) {
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

bool Prescanner::DefStatement(size_t k) {
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
  if (colon != close + 1 && Test(close + 2, colon) != colon)
    return Bail("unusual return annotation");
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

// The index of the `=` of an annotated assignment `NAME: T = value`
// (searching from `from`), or kNpos when there is no value.
size_t Prescanner::AnnotatedEquals(size_t from, size_t c) {
  for (size_t i = from; i < c; ++i) {
    if (toks_[i].depth != 0) continue;
    if (IsWord(toks_[i], "lambda")) return Bail("lambda in an annotation"), kNpos - 1;
    if (IsOp(toks_[i], "=")) return i;
  }
  return kNpos;
}

bool Prescanner::SimpleStatement(size_t a, size_t c) {
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
  if ((w == "await") && c - a > 1 && IsOp(toks_[a + 1], "="))
    return Bail("assignment to a keyword");

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
  if (f.kind == kClassFrame && w == "_version" && rhs != kNpos && c - rhs == 1 &&
      toks_[rhs].kind == kNumber && toks_[rhs].integer) {
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
bool Prescanner::AllStatement(size_t a, size_t c, size_t rhs) {
  bool mentions = false;
  for (size_t i = a; i < c; ++i) {
    if (IsWord(toks_[i], "__all__")) {
      mentions = true;
      if (i > a && i + 1 < c && toks_[i].depth == 0 &&
          (IsOp(toks_[i + 1], "=") || IsOp(toks_[i + 1], ":") ||
           IsAugmentedOp(Text(toks_[i + 1])))) {
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
    if (toks_[i].depth == 0 && toks_[i].kind == kOp &&
        (Text(toks_[i]) == "=" || IsAugmentedOp(Text(toks_[i])))) {
      return Bail("chained assignment to __all__");
    }
  }
  file_->all.clear();
  file_->has_all = true;
  return ReadStringList(rhs, c);
}

// ReadStringList: the plain strings of a list or tuple display.
// A computed __all__ (`mv2_all + mv3_all`, a comprehension) is the tree's
// to read: the index takes it as unknown (module_index.cc).
bool Prescanner::ReadStringList(size_t b, size_t e) {
  if (b >= e) return Bail("augmented assignment without a value");
  const bool list = IsOp(toks_[b], "[");
  if (!list && !IsOp(toks_[b], "(")) return Bail("__all__ is computed");
  if (Matching(b, e) != e - 1) return Bail("__all__ is computed");
  const uint16_t depth = static_cast<uint16_t>(toks_[b].depth + 1);
  bool comma = false;
  for (size_t i = b + 1; i + 1 < e; ++i) {
    if (toks_[i].depth != depth) continue;
    if (IsWord(toks_[i], "for")) return Bail("__all__ is a comprehension");
    comma = comma || IsOp(toks_[i], ",");
  }
  if (!list && !comma && e - b > 2) return Bail("__all__ is a parenthesised expression");
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

void Prescanner::Assignment(const Tok& target, size_t b, size_t e) {
  AssignmentShape shape;
  const size_t m = e - b;
  const Tok& first = toks_[b];
  bool dotted = first.kind == kName && (m % 2) == 1;
  if (dotted && m == 1 && IsHardKeyword(Text(first))) dotted = false;  // None, True, ...
  for (size_t i = b + 1; dotted && i < e; i += 2) {
    dotted =
        IsOp(toks_[i], ".") && toks_[i + 1].kind == kName && !IsHardKeyword(Text(toks_[i + 1]));
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
bool Prescanner::DottedName(size_t* i, size_t c, std::string* out) {
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
bool Prescanner::Alias(size_t* i, size_t c, std::string* alias, bool* has) {
  *has = false;
  if (*i < c && IsWord(toks_[*i], "as")) {
    if (*i + 1 >= c || toks_[*i + 1].kind != kName || IsHardKeyword(Text(toks_[*i + 1])))
      return false;
    alias->assign(Text(toks_[*i + 1]));
    *has = true;
    *i += 2;
  }
  return true;
}

bool Prescanner::Import(size_t a, size_t c, bool record) {
  const SourcePosition pos = PositionOf(toks_[a]);
  size_t i = a + 1;
  if (i >= c) return Bail("empty import");
  for (;;) {
    std::string dotted;
    std::string alias;
    bool has_alias = false;
    if (!DottedName(&i, c, &dotted) || !Alias(&i, c, &alias, &has_alias))
      return Bail("malformed import");
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

bool Prescanner::FromImport(size_t a, size_t c, bool record) {
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
      dots > 0 ? ResolveRelativeModule(file_->info.module_name, file_->info.is_package, dots, name)
               : name;
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
    if (!DottedName(&i, end, &dotted) || !Alias(&i, end, &alias, &has_alias))
      return Bail("malformed from-import");
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

}  // namespace prescan
}  // namespace ptlint
