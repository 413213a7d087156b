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

}  // namespace

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
  AddVocabulary(body, b.words);
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
