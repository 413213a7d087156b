#include "analyzer/analysis/candidate_vocabulary.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ptlint {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\\')) ++i;
  return i;
}

// The dotted name that ends just before `end` (`self.features` before
// `.add_module`), empty when there is none.
std::string_view DottedBefore(std::string_view s, size_t end) {
  size_t i = end;
  while (i > 0 && (IsIdentChar(s[i - 1]) || s[i - 1] == '.')) --i;
  return s.substr(i, end - i);
}

// A plain string literal naming something: `"fc"` followed by `,` or `)`;
// not formatted (`"layer%d" % i`, f-strings, concatenation).
bool LiteralNameAt(std::string_view s, size_t i) {
  if (i >= s.size() || (s[i] != '"' && s[i] != '\'')) return false;
  size_t end = SkipPythonString(s, i);
  std::string_view body = s.substr(i, end - i);
  if (body.find_first_of("%{\\") != std::string_view::npos) return false;
  size_t next = SkipSpaces(s, end);
  return next < s.size() && (s[next] == ',' || s[next] == ')');
}

// Calls that only look at `self` (or hand it to a base's __init__).
bool ReadsOnly(std::string_view callee) {
  static const std::set<std::string_view> kReaders = {
      "super", "isinstance", "type", "hasattr", "getattr", "id", "len", "print", "repr", "str", "hash", "vars_"};
  if (callee.size() >= 8 && callee.substr(callee.size() - 8) == "__init__") return true;
  return kReaders.count(callee) > 0;
}

// Does this body give names the text does not hold? `receiver_self`: only
// registrations on `self` count (a class); otherwise any receiver (a builder
// changing the model it built). The functions `self` is handed to
// (`_log_api_usage_once(self)`, `init_heads(self)`) go to `self_callees`:
// what they could set is in their own text.
bool NamesAtRunTime(std::string_view s, bool receiver_self, std::vector<std::string>* self_callees) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      i = SkipPythonString(s, i) - 1;
      continue;
    }
    if (!IsIdentStart(c) || (i > 0 && IsIdentChar(s[i - 1]))) continue;
    size_t end = i;
    while (end < s.size() && IsIdentChar(s[end])) ++end;
    std::string_view word = s.substr(i, end - i);
    size_t next = SkipSpaces(s, end);
    const bool called = next < s.size() && s[next] == '(';
    if (word == "setattr" || word == "__setattr__" || word == "__dict__" || word == "exec" ||
        word == "__getattr__") {
      return true;
    }
    if (called && (word == "add_module" || word == "register_module" || word == "register_buffer" ||
                   word == "register_parameter")) {
      // `x.add_module(` on self (or, for a builder, on anything) with a
      // name that is not a plain literal.
      std::string_view receiver = i > 0 && s[i - 1] == '.' ? DottedBefore(s, i - 1) : std::string_view();
      const bool on_self = receiver == "self";
      if ((on_self || !receiver_self) && !LiteralNameAt(s, SkipSpaces(s, next + 1))) return true;
    }
    if (word == "self" && receiver_self) {
      // `f(self)` / `f(x, self)`: f could set attributes on self.
      size_t before = i;
      while (before > 0 && (s[before - 1] == ' ' || s[before - 1] == '\t' || s[before - 1] == '\n')) --before;
      const bool argument = before > 0 && (s[before - 1] == '(' || s[before - 1] == ',') && next < s.size() &&
                            (s[next] == ')' || s[next] == ',');
      if (argument) {
        // The call this argument belongs to: back to its unmatched `(`.
        int depth = 0;
        size_t open = before - 1;
        for (size_t k = before; k-- > 0;) {
          char ch = s[k];
          if (ch == ')' || ch == ']' || ch == '}') ++depth;
          if (ch == '(' || ch == '[' || ch == '{') {
            if (depth == 0) {
              open = k;
              break;
            }
            --depth;
          }
        }
        if (s[open] != '(') return true;
        std::string_view callee = DottedBefore(s, open);
        size_t def = open - callee.size();
        while (def > 0 && s[def - 1] == ' ') --def;
        const bool parameters = def >= 3 && s.substr(def - 3, 3) == "def";
        std::string_view last = callee.substr(callee.rfind('.') == std::string_view::npos ? 0 : callee.rfind('.') + 1);
        if (last.empty()) return true;  // `(f)(self)`, `fs[0](self)`: not read
        if (!parameters && !ReadsOnly(last)) self_callees->emplace_back(last);
      }
    }
    i = end - 1;
  }
  return false;
}


// The index just past the bracket matching the one at `open`, or npos.
size_t PastMatching(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      i = SkipPythonString(s, i) - 1;
      continue;
    }
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// Only blanks from the line's start to `i`: `i` starts a statement.
bool StatementStart(std::string_view s, size_t i) {
  while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) --i;
  return i == 0 || s[i - 1] == '\n';
}

// Nothing but blanks or a comment from `i` to the line's end: the statement
// ends at `i` (`;` and `\` continuations are not followed).
bool StatementEnd(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
  return i >= s.size() || s[i] == '\n' || s[i] == '#';
}

// `f(...)` or `a.b.f(...)` from `i` to the statement's end: the callee as
// written, else empty.
std::string_view WholeCallAt(std::string_view s, size_t i) {
  size_t end = i;
  while (end < s.size() && (IsIdentChar(s[end]) || s[end] == '.')) ++end;
  if (end == i || !IsIdentStart(s[i])) return {};
  std::string_view callee = s.substr(i, end - i);
  size_t open = SkipSpaces(s, end);
  if (open >= s.size() || s[open] != '(') return {};
  size_t past = PastMatching(s, open);
  if (past == std::string_view::npos || !StatementEnd(s, past)) return {};
  return callee;
}


// Calls `f(self)` style scanning shares this: is the word at [i, end) an
// argument of a call (`f(x, w)`), and of which callee (`f`, empty when it
// is inside a list/dict display or a `def`'s parameters)?
bool ArgumentOf(std::string_view s, size_t i, size_t end, std::string_view* callee) {
  *callee = {};
  size_t next = SkipSpaces(s, end);
  char after = next < s.size() ? s[next] : '\n';
  size_t before = i;
  while (before > 0 && (s[before - 1] == ' ' || s[before - 1] == '\t' || s[before - 1] == '\n')) --before;
  if (before == 0 || (s[before - 1] != '(' && s[before - 1] != ',') || (after != ')' && after != ',')) return false;
  int depth = 0;
  for (size_t k = before; k-- > 0;) {
    char ch = s[k];
    if (ch == ')' || ch == ']' || ch == '}') ++depth;
    if (ch == '(' || ch == '[' || ch == '{') {
      if (depth > 0) {
        --depth;
        continue;
      }
      if (ch != '(') return true;
      std::string_view dotted = DottedBefore(s, k);
      size_t def = k - dotted.size();
      while (def > 0 && s[def - 1] == ' ') --def;
      if (def >= 3 && s.substr(def - 3, 3) == "def") return true;
      size_t dot = dotted.rfind('.');
      *callee = dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
      return true;
    }
  }
  return false;
}

// The words of the short string literals in `s` (names given as text:
// `register_buffer("mask", ...)`).
void AddLiteralWords(std::string_view s, Vocabulary& out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (s[i] != '"' && s[i] != '\'') continue;
    size_t end = SkipPythonString(s, i);
    AddVocabulary(s.substr(i, end - i), out);
    i = end - 1;
  }
}

// The names a class body can give its instance: `self.X` (set or read), the
// targets of class-level statements (`X = ...`, `X: T`) and the words of
// its short string literals. False when `self` is used another way
// (`m = self`, `return self`, `[self]`): the alias could set any name.
bool SelfNames(std::string_view s, Vocabulary& out) {
  AddLiteralWords(s, out);
  // The class body's indentation: its first statement's.
  size_t first = s.find('\n');
  while (first != std::string_view::npos && first + 1 < s.size()) {
    size_t text = first + 1;
    while (text < s.size() && (s[text] == ' ' || s[text] == '\t')) ++text;
    if (text < s.size() && s[text] != '\n' && s[text] != '#' && s[text] != '\r') break;
    first = s.find('\n', first + 1);
  }
  const size_t body_indent =
      first == std::string_view::npos ? 0 : s.find_first_not_of(" \t", first + 1) - (first + 1);
  auto at_class_level = [&](size_t i) {
    size_t line = i;
    while (line > 0 && (s[line - 1] == ' ' || s[line - 1] == '\t')) --line;
    return (line == 0 || s[line - 1] == '\n') && i - line == body_indent;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      i = SkipPythonString(s, i) - 1;
      continue;
    }
    if (!IsIdentStart(c) || (i > 0 && IsIdentChar(s[i - 1]))) continue;
    size_t end = i;
    while (end < s.size() && IsIdentChar(s[end])) ++end;
    std::string_view word = s.substr(i, end - i);
    size_t next = SkipSpaces(s, end);
    const bool attribute = i > 0 && s[i - 1] == '.';
    if (word == "self" && !attribute) {
      if (next < s.size() && s[next] == '.') {
        size_t name = SkipSpaces(s, next + 1);
        size_t name_end = name;
        while (name_end < s.size() && IsIdentChar(s[name_end])) ++name_end;
        if (name_end > name) out.emplace(s.substr(name, name_end - name));
      } else {
        std::string_view callee;
        if (!ArgumentOf(s, i, end, &callee)) return false;  // handed to calls: NamesAtRunTime's
      }
    } else if (!attribute && next < s.size() && (s[next] == '=' || s[next] == ':') && at_class_level(i)) {
      out.emplace(word);  // a class-level attribute or annotation
    }
    i = end - 1;
  }
  return true;
}

}  // namespace

bool ReturnedModuleFlow(std::string_view body, std::vector<std::string>* built_by,
                        std::vector<std::string>* handed_to, Vocabulary* set_on) {
  built_by->clear();
  handed_to->clear();
  // The signature: the returned name must not be a parameter.
  size_t open = body.find('(');
  size_t signature_end = open == std::string_view::npos ? std::string_view::npos : PastMatching(body, open);
  if (signature_end == std::string_view::npos) return false;
  std::vector<std::string> returned_names;
  auto words = [&](auto&& visit) {
    for (size_t i = signature_end; i < body.size(); ++i) {
      char c = body[i];
      if (c == '#') {
        while (i < body.size() && body[i] != '\n') ++i;
        continue;
      }
      if (c == '"' || c == '\'') {
        i = SkipPythonString(body, i) - 1;
        continue;
      }
      if (!IsIdentStart(c) || (i > 0 && IsIdentChar(body[i - 1]))) continue;
      size_t end = i;
      while (end < body.size() && IsIdentChar(body[end])) ++end;
      if (!visit(i, end)) return false;
      i = end - 1;
    }
    return true;
  };
  // Every `return`: a whole call, or a bare name.
  size_t returns = 0;
  bool ok = words([&](size_t i, size_t end) {
    if (body.substr(i, end - i) != "return" || (i > 0 && body[i - 1] == '.')) return true;
    ++returns;
    if (!StatementStart(body, i)) return false;  // `if x: return y`
    size_t value = SkipSpaces(body, end);
    std::string_view callee = WholeCallAt(body, value);
    if (!callee.empty()) {
      built_by->emplace_back(callee);
      return true;
    }
    size_t name_end = value;
    while (name_end < body.size() && IsIdentChar(body[name_end])) ++name_end;
    if (name_end == value || !IsIdentStart(body[value]) || !StatementEnd(body, name_end)) return false;
    returned_names.emplace_back(body.substr(value, name_end - value));
    return true;
  });
  if (!ok || returns == 0) return false;
  // Every use of a returned name: bound by a whole call, read for an
  // attribute or item, handed to a call, or returned.
  for (const std::string& name : returned_names) {
    if (body.substr(open, signature_end - open).find(name) != std::string_view::npos) {
      // Possibly a parameter (a substring match is conservative).
      Vocabulary params;
      AddVocabulary(body.substr(open, signature_end - open), params);
      if (params.count(name)) return false;
    }
    ok = words([&](size_t i, size_t end) {
      if (body.substr(i, end - i) != name || (i > 0 && body[i - 1] == '.')) return true;
      size_t next = SkipSpaces(body, end);
      char after = next < body.size() ? body[next] : '\n';
      if (after == '.') {
        size_t attr = SkipSpaces(body, next + 1);
        size_t attr_end = attr;
        while (attr_end < body.size() && IsIdentChar(body[attr_end])) ++attr_end;
        if (attr_end > attr) set_on->emplace(body.substr(attr, attr_end - attr));
        return true;
      }
      if (after == '[') return true;
      if (after == '=' && (next + 1 >= body.size() || body[next + 1] != '=')) {
        if (!StatementStart(body, i)) return false;
        std::string_view callee = WholeCallAt(body, SkipSpaces(body, next + 1));
        if (callee.empty() || callee.substr(0, callee.find('.')) == name) return false;  // `m = m.to(d)`
        built_by->emplace_back(callee);
        return true;
      }
      size_t before = i;
      while (before > 0 && (body[before - 1] == ' ' || body[before - 1] == '\t' || body[before - 1] == '\n')) --before;
      if (before >= 6 && body.substr(before - 6, 6) == "return" && StatementStart(body, before - 6)) return true;
      const bool argument = before > 0 && (body[before - 1] == '(' || body[before - 1] == ',') &&
                            (after == ')' || after == ',');
      if (!argument) return false;
      // The call it is handed to: back to the unmatched `(`.
      int depth = 0;
      for (size_t k = before; k-- > 0;) {
        char ch = body[k];
        if (ch == ')' || ch == ']' || ch == '}') ++depth;
        if (ch == '(' || ch == '[' || ch == '{') {
          if (depth > 0) {
            --depth;
            continue;
          }
          if (ch != '(') return false;  // inside a list or dict display
          std::string_view callee = DottedBefore(body, k);
          size_t dot = callee.rfind('.');
          std::string_view last = dot == std::string_view::npos ? callee : callee.substr(dot + 1);
          if (last.empty()) return false;
          size_t def = k - callee.size();
          while (def > 0 && body[def - 1] == ' ') --def;
          if (def >= 3 && body.substr(def - 3, 3) == "def") return false;  // a nested def's parameter
          if (!ReadsOnly(last)) handed_to->emplace_back(last);
          return true;
        }
      }
      return false;
    });
    if (!ok) return false;
  }
  return !built_by->empty();
}

size_t SkipPythonString(std::string_view s, size_t i) {
  char q = s[i];
  bool triple = i + 2 < s.size() && s[i + 1] == q && s[i + 2] == q;
  i += triple ? 3 : 1;
  while (i < s.size()) {
    if (s[i] == '\\') {
      i += 2;
      continue;
    }
    if (triple) {
      if (s[i] == q && i + 2 < s.size() && s[i + 1] == q && s[i + 2] == q) return i + 3;
    } else if (s[i] == q) {
      return i + 1;
    } else if (s[i] == '\n') {
      return i;  // unterminated: stop at the line
    }
    ++i;
  }
  return s.size();
}

void AddVocabulary(std::string_view s, Vocabulary& out) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      size_t end = SkipPythonString(s, i);
      if (end - i < 64 && end >= i + 2) {
        std::string_view body = s.substr(i + 1, end - i - 2);
        size_t start = 0;
        for (size_t k = 0; k <= body.size(); ++k) {
          if (k == body.size() || !IsIdentChar(body[k])) {
            if (k > start) out.emplace(body.substr(start, k - start));
            start = k + 1;
          }
        }
      }
      i = end;
      continue;
    }
    if (IsIdentStart(c)) {
      size_t start = i;
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      out.emplace(s.substr(start, i - start));
      continue;
    }
    ++i;
  }
}

CandidateVocabularies::CandidateVocabularies(const ModuleIndex& index) : index_(index) {
  for (const auto& file : index.files()) {
    by_path_[file->info.path] = file.get();
    by_module_[file->info.module_name] = file.get();
    Lines& lines = lines_[file.get()];
    std::string_view src = file->parsed.source;
    lines.starts.push_back(0);
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] == '\n') lines.starts.push_back(i + 1);
    }
    for (const ClassInfo& c : file->classes) {
      if (c.nested) continue;
      lines.definitions.push_back(c.position.line);
      classes_by_name_[c.name].push_back(&c);
    }
    for (const FunctionInfo& f : file->functions) {
      lines.definitions.push_back(f.position.line);
      functions_by_name_[f.name].push_back(&f);
    }
    std::sort(lines.definitions.begin(), lines.definitions.end());
  }
}

const IndexedFile* CandidateVocabularies::FileAt(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second;
}

std::string_view CandidateVocabularies::Body(const IndexedFile& file, uint32_t line) {
  const Lines& lines = lines_[&file];
  std::string_view src = file.parsed.source;
  if (line == 0 || line > lines.starts.size()) return {};
  size_t begin = lines.starts[line - 1];
  auto next = std::upper_bound(lines.definitions.begin(), lines.definitions.end(), line);
  size_t end = next == lines.definitions.end() || *next > lines.starts.size() ? src.size()
                                                                              : lines.starts[*next - 1];
  return src.substr(begin, end - begin);
}

size_t CandidateVocabularies::Store(Vocabulary words) {
  vocabularies_.push_back(std::move(words));
  return vocabularies_.size() - 1;
}

size_t CandidateVocabularies::OfFile(const IndexedFile& file) {
  auto it = file_vocabulary_.find(&file);
  if (it != file_vocabulary_.end()) return it->second;
  // Each file's own words are read once, however many files import it.
  auto own = [this](const IndexedFile& f) -> const Vocabulary& {
    auto [at, added] = own_words_.try_emplace(&f);
    if (added) AddVocabulary(f.parsed.source, at->second);
    return at->second;
  };
  Vocabulary words = own(file);
  std::set<const IndexedFile*> seen{&file};
  for (const ImportBinding& imp : file.imports) {
    std::string target = imp.target;
    for (int up = 0; up < 2 && !target.empty(); ++up) {
      auto m = by_module_.find(target);
      if (m != by_module_.end()) {
        if (seen.insert(m->second).second) {
          const Vocabulary& theirs = own(*m->second);
          words.insert(theirs.begin(), theirs.end());
        }
        break;
      }
      size_t dot = target.rfind('.');
      target = dot == std::string::npos ? "" : target.substr(0, dot);
    }
  }
  size_t at = Store(std::move(words));
  file_vocabulary_.emplace(&file, at);
  return at;
}

const CandidateVocabularies::Bound& CandidateVocabularies::ClassBound(const ClassInfo& cls) {
  auto found = bounds_.find(&cls);
  if (found != bounds_.end()) return found->second;
  Bound b;
  const IndexedFile* file = FileAt(cls.path);
  if (file == nullptr || !visiting_.insert(&cls).second) {
    b.fallback = file == nullptr;
    return bounds_[&cls] = std::move(b);
  }
  std::string_view body = Body(*file, cls.position.line);
  // Names reach an instance through `self` (or text): other words of the
  // body (locals, called functions) are no key's top level.
  if (!SelfNames(body, b.words)) {
    b.words.clear();
    AddVocabulary(body, b.words);
  }
  std::vector<std::string> self_callees;
  b.fallback = NamesAtRunTime(body, /*receiver_self=*/true, &self_callees);
  // A function or class `self` is handed to could set attributes on it: the
  // predictor follows project code only, so their words bound those names
  // (an external function sets nothing the predictor would see).
  for (const std::string& callee : self_callees) {
    if (b.fallback) break;
    Reach(callee, nullptr, b);
  }
  for (const std::string& base_text : cls.base_texts) {
    if (b.fallback) break;
    if (base_text == "object") continue;
    Symbol s = index_.ResolveName(cls.module, base_text);
    const std::string builtin = BuiltinModuleName(s.qualified_name.empty() ? base_text : s.qualified_name);
    if (builtin == "Module") continue;
    if (!builtin.empty() || s.kind != Symbol::Kind::kClass || s.cls == nullptr) {
      b.fallback = true;  // a torch layer or container, or a base ptlint cannot read
      break;
    }
    const Bound& inherited = ClassBound(*s.cls);
    b.fallback = b.fallback || inherited.fallback;
    b.words.insert(inherited.words.begin(), inherited.words.end());
  }
  visiting_.erase(&cls);
  return bounds_[&cls] = std::move(b);
}

const CandidateVocabularies::Bound& CandidateVocabularies::FunctionBound(const FunctionInfo& fn) {
  auto found = bounds_.find(&fn);
  if (found != bounds_.end()) return found->second;
  Bound b;
  const IndexedFile* file = FileAt(fn.path);
  if (file == nullptr || !visiting_.insert(&fn).second) {
    b.fallback = file == nullptr;
    return bounds_[&fn] = std::move(b);
  }
  std::string_view body = Body(*file, fn.position.line);
  Vocabulary own;
  AddVocabulary(body, own);
  b.fallback = NamesAtRunTime(body, /*receiver_self=*/false, nullptr);
  b.words = own;
  // The module it returns, when the text shows where it comes from: its
  // top-level names are those of what builds it (a class's own, a helper's
  // bound) and of what it is handed to, not of the backbones and heads
  // built for its arguments, which sit under one of its own names.
  std::vector<std::string> built_by, handed_to;
  Vocabulary set_on;
  if (!b.fallback && ReturnedModuleFlow(body, &built_by, &handed_to, &set_on)) {
    // Its own text names the module's entries through the returned name
    // (`model.fc = ...`) or as text (`add_module("fc", ...)`).
    Bound narrow;
    narrow.words = std::move(set_on);
    AddLiteralWords(body, narrow.words);
    bool followed = true;
    for (std::string callee : built_by) {
      // `pkg.Net(...)` through a project module imported by name (not a
      // method: `x.build()` is no module-level `build`).
      if (size_t dot = callee.rfind('.'); dot != std::string::npos) {
        const std::string receiver = callee.substr(0, callee.find('.'));
        bool project_module = false;
        for (const ImportBinding& imp : file->imports) {
          if (imp.local_name == receiver && by_module_.count(imp.target)) project_module = true;
        }
        if (!project_module) {
          followed = false;
          break;
        }
        callee = callee.substr(dot + 1);
      }
      auto classes = classes_by_name_.find(callee);
      auto functions = functions_by_name_.find(callee);
      const bool defined = (classes != classes_by_name_.end() && !classes->second.empty()) ||
                           (functions != functions_by_name_.end() && !functions->second.empty());
      // A class filled from its arguments (a container, a dynamic body)
      // names what it is handed: not followed here.
      bool open_class = false;
      if (classes != classes_by_name_.end()) {
        for (const ClassInfo* c : classes->second) open_class = open_class || ClassBound(*c).fallback;
      }
      if (!defined || open_class) {
        followed = false;
        break;
      }
      Reach(callee, &fn, narrow);
    }
    for (const std::string& callee : handed_to) {
      if (!followed) break;
      Reach(callee, &fn, narrow);
    }
    if (followed) {
      visiting_.erase(&fn);
      return bounds_[&fn] = std::move(narrow);
    }
  }
  // What the body names, by short name: the classes it builds and the
  // functions it calls (over-approximated: every definition of that name).
  for (const std::string& word : own) {
    if (b.fallback) break;
    Reach(word, &fn, b);
  }
  visiting_.erase(&fn);
  return bounds_[&fn] = std::move(b);
}

void CandidateVocabularies::Reach(const std::string& name, const FunctionInfo* self, Bound& b) {
  auto classes = classes_by_name_.find(name);
  if (classes != classes_by_name_.end()) {
    for (const ClassInfo* c : classes->second) {
      const Bound& reached = ClassBound(*c);
      b.fallback = b.fallback || reached.fallback;
      b.words.insert(reached.words.begin(), reached.words.end());
    }
  }
  auto functions = functions_by_name_.find(name);
  if (functions != functions_by_name_.end()) {
    for (const FunctionInfo* f : functions->second) {
      if (f == self) continue;
      const Bound& reached = FunctionBound(*f);
      b.fallback = b.fallback || reached.fallback;
      b.words.insert(reached.words.begin(), reached.words.end());
    }
  }
}

size_t CandidateVocabularies::OfClass(const ClassInfo& cls) {
  auto it = stored_.find(&cls);
  if (it != stored_.end()) return it->second;
  const Bound& b = ClassBound(cls);
  const IndexedFile* file = FileAt(cls.path);
  size_t at = b.fallback && file != nullptr ? OfFile(*file) : Store(b.words);
  stored_.emplace(&cls, at);
  return at;
}

size_t CandidateVocabularies::OfFunction(const FunctionInfo& fn) {
  auto it = stored_.find(&fn);
  if (it != stored_.end()) return it->second;
  const Bound& b = FunctionBound(fn);
  const IndexedFile* file = FileAt(fn.path);
  size_t at = b.fallback && file != nullptr ? OfFile(*file) : Store(b.words);
  stored_.emplace(&fn, at);
  return at;
}

size_t CandidateVocabularies::WithWords(size_t base, const Vocabulary& extra) {
  if (std::all_of(extra.begin(), extra.end(), [&](const std::string& w) { return vocabularies_[base].count(w) > 0; })) {
    return base;
  }
  Vocabulary words = vocabularies_[base];
  words.insert(extra.begin(), extra.end());
  return Store(std::move(words));
}

}  // namespace ptlint
