#include "analyzer/analysis/structural_binding.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "analyzer/analysis/key_pattern.h"

namespace ptlint {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Skips a string literal starting at `i` (which is at a quote, after any
// prefix letters); returns the index just past it.
size_t SkipString(std::string_view s, size_t i) {
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

// The index of the `)` matching the `(` at `open`, or npos.
size_t MatchingParen(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      i = SkipString(s, i) - 1;
      continue;
    }
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

// Splits an argument list at top-level commas.
std::vector<std::string_view> SplitTopLevel(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      i = SkipString(s, i) - 1;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  std::string_view last = Trim(s.substr(start));
  if (!last.empty()) out.push_back(last);
  return out;
}

// `name=value` at top level (not `==`): the name, else empty.
std::string_view KeywordOf(std::string_view arg, std::string_view* value) {
  size_t i = 0;
  if (arg.empty() || !IsIdentStart(arg[0])) return {};
  while (i < arg.size() && IsIdentChar(arg[i])) ++i;
  size_t name_end = i;
  while (i < arg.size() && std::isspace(static_cast<unsigned char>(arg[i]))) ++i;
  if (i < arg.size() && arg[i] == '=' && (i + 1 >= arg.size() || arg[i + 1] != '=')) {
    *value = Trim(arg.substr(i + 1));
    return arg.substr(0, name_end);
  }
  return {};
}

}  // namespace

std::optional<nlohmann::json> ParsePythonLiteral(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  if (text == "True") return nlohmann::json(true);
  if (text == "False") return nlohmann::json(false);
  if (text == "None") return nlohmann::json(nullptr);
  char c = text.front();
  if (c == '"' || c == '\'') {
    if (text.size() < 2 || text.back() != c || SkipString(text, 0) != text.size()) return std::nullopt;
    std::string_view body = text.substr(1, text.size() - 2);
    if (body.find('\\') != std::string_view::npos) return std::nullopt;
    if (body.size() >= 2 && body.front() == c && body.back() == c) return std::nullopt;  // triple quotes
    return nlohmann::json(std::string(body));
  }
  if (c == '[' || c == '(') {
    char close = c == '[' ? ']' : ')';
    if (text.back() != close || MatchingParen(text, 0) != text.size() - 1) return std::nullopt;
    nlohmann::json list = nlohmann::json::array();
    for (std::string_view part : SplitTopLevel(text.substr(1, text.size() - 2))) {
      auto v = ParsePythonLiteral(part);
      if (!v) return std::nullopt;
      list.push_back(std::move(*v));
    }
    return list;
  }
  // A number: optional sign, digits, one dot or exponent (Python's `_` separators too).
  std::string digits;
  bool is_float = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char d = text[i];
    if (d == '_') continue;
    if ((d == '-' || d == '+') && (i == 0 || text[i - 1] == 'e' || text[i - 1] == 'E')) {
      digits += d;
    } else if (std::isdigit(static_cast<unsigned char>(d))) {
      digits += d;
    } else if (d == '.' || d == 'e' || d == 'E') {
      is_float = true;
      digits += d;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty() || digits == "-" || digits == "+") return std::nullopt;
  try {
    size_t used = 0;
    if (is_float) {
      double v = std::stod(digits, &used);
      if (used != digits.size()) return std::nullopt;
      return nlohmann::json(v);
    }
    long long v = std::stoll(digits, &used);
    if (used != digits.size()) return std::nullopt;
    return nlohmann::json(static_cast<int64_t>(v));
  } catch (...) {  // out of range: not a literal we can use
    return std::nullopt;
  }
}

std::map<std::string, ClassConstructions> ScanConstructions(const std::vector<std::string_view>& sources,
                                                            const std::unordered_set<std::string>& names) {
  std::map<std::string, ClassConstructions> out;
  for (std::string_view s : sources) {
    std::string_view previous_word;
    for (size_t i = 0; i < s.size();) {
      char c = s[i];
      if (c == '#') {
        while (i < s.size() && s[i] != '\n') ++i;
        continue;
      }
      if (c == '"' || c == '\'') {
        i = SkipString(s, i);
        continue;
      }
      if (!IsIdentStart(c)) {
        if (!std::isspace(static_cast<unsigned char>(c))) previous_word = {};
        ++i;
        continue;
      }
      size_t start = i;
      while (i < s.size() && IsIdentChar(s[i])) ++i;
      std::string_view word = s.substr(start, i - start);
      // String prefixes (r"", f'', b""): the literal follows.
      if (i < s.size() && (s[i] == '"' || s[i] == '\'') && word.size() <= 2) continue;
      bool defining = previous_word == "class" || previous_word == "def";
      previous_word = word;
      if (defining || names.count(std::string(word)) == 0) continue;
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j >= s.size() || s[j] != '(') continue;
      size_t close = MatchingParen(s, j);
      ClassConstructions& cc = out[std::string(word)];
      if (close == std::string_view::npos) {
        cc.dynamic = true;
        continue;
      }
      std::map<std::string, nlohmann::json> args;
      bool literal = true;
      size_t position = 0;
      for (std::string_view arg : SplitTopLevel(s.substr(j + 1, close - j - 1))) {
        if (arg.front() == '*') {
          literal = false;
          break;
        }
        std::string_view value;
        std::string_view kw = KeywordOf(arg, &value);
        auto v = ParsePythonLiteral(kw.empty() ? arg : value);
        if (!v) {
          literal = false;
          break;
        }
        args[kw.empty() ? std::to_string(position++) : std::string(kw)] = std::move(*v);
      }
      if (!literal) {
        cc.dynamic = true;
      } else if (std::find(cc.literal.begin(), cc.literal.end(), args) == cc.literal.end() && cc.literal.size() < 8) {
        cc.literal.push_back(std::move(args));
      } else if (cc.literal.size() >= 8) {
        cc.dynamic = true;  // too many ways to build it: not one known construction
      }
    }
  }
  return out;
}

namespace {

// Does the module-level `def name(...)` in `source` take only parameters
// with defaults (or *args/**kwargs)? A builder is called with none.
bool AllParametersDefaulted(std::string_view source, const std::string& name) {
  std::string needle = "def " + name;
  for (size_t at = source.find(needle); at != std::string_view::npos; at = source.find(needle, at + 1)) {
    if (at != 0 && source[at - 1] != '\n') continue;  // module level only
    size_t j = at + needle.size();
    while (j < source.size() && (source[j] == ' ' || source[j] == '\t')) ++j;
    if (j >= source.size() || source[j] != '(') continue;
    size_t close = MatchingParen(source, j);
    if (close == std::string_view::npos) return false;
    for (std::string_view p : SplitTopLevel(source.substr(j + 1, close - j - 1))) {
      if (p.empty() || p.front() == '*' || p == "/") continue;
      // `x: int = 3`, `x=3`: a default. A bare name or `x: int` is required.
      int depth = 0;
      bool has_default = false;
      for (size_t k = 0; k < p.size(); ++k) {
        if (p[k] == '(' || p[k] == '[' || p[k] == '{') ++depth;
        if (p[k] == ')' || p[k] == ']' || p[k] == '}') --depth;
        if (p[k] == '=' && depth == 0) has_default = true;
      }
      if (!has_default) return false;
    }
    return true;
  }
  return false;
}

std::string Signature(const ExpectedStateDict& e) {
  std::string sig;
  for (const PredictedKey& k : e.keys) {
    if (!k.persistent) continue;
    sig += k.key;
    sig += k.is_pattern ? "*" : "";
    sig += k.optional ? "?" : "";
    sig += k.shape.ToString();
    sig += ';';
  }
  for (const OpenSubtree& o : e.open) sig += "open:" + o.prefix + ";";
  return sig;
}

void Index(StructuralCandidate& c) {
  for (const PredictedKey& k : c.expected.keys) {
    if (!k.persistent) continue;
    if (k.is_pattern) {
      c.patterns.push_back(k.key);
    } else {
      c.all_exact.insert(k.key);
      if (!k.optional) c.exact.insert(k.key);
    }
  }
  for (const OpenSubtree& o : c.expected.open) {
    if (o.prefix.empty()) c.whole_open = true;
    c.open.push_back(o.prefix);
  }
}

bool IsTorchName(const std::string& q) { return q.rfind("torch.", 0) == 0 || q == "torch"; }

// Tests and examples are not where a library's builders live.
bool IsTestModule(const std::string& module) {
  return module.rfind("test", 0) == 0 || module.find(".test") != std::string::npos ||
         module.find("conftest") != std::string::npos;
}

}  // namespace

StructuralCandidates CollectStructuralCandidates(const ModuleIndex& index) {
  StructuralCandidates out;
  std::vector<std::unique_ptr<StructuralCandidate>> raw;
  PredictOptions po;
  po.max_steps = 400'000;  // a candidate, not a bound class: keep each one cheap
  // Builders: public module-level functions that take no required argument
  // and evidently build a module.
  for (const auto& file : index.files()) {
    if (IsTestModule(file->info.module_name)) continue;
    for (const FunctionInfo& f : file->functions) {
      if (f.name.empty() || f.name[0] == '_' || IsTorchName(f.qualified_name)) continue;
      if (!AllParametersDefaulted(file->parsed.source, f.name)) continue;
      auto e = PredictStateDict(index, f.qualified_name, po);
      if (!e.ok() || e->keys.empty()) continue;
      auto c = std::make_unique<StructuralCandidate>();
      c->cls = e->class_name;
      c->factory = f.qualified_name;
      c->construction_known = true;
      c->expected = std::move(e.value());
      raw.push_back(std::move(c));
    }
  }
  // Classes at the constructions the source writes, and at their defaults.
  std::vector<const ClassInfo*> classes;
  std::unordered_set<std::string> names;
  for (const ClassInfo* c : index.AllClasses()) {
    if (c->nested || IsTorchName(c->qualified_name)) continue;
    if (IsTestModule(c->module)) continue;
    if (index.Classify(*c).kind != ModuleKind::kModule) continue;
    classes.push_back(c);
    names.insert(c->name);
  }
  std::vector<std::string_view> sources;
  for (const auto& file : index.files()) sources.push_back(file->parsed.source);
  std::map<std::string, ClassConstructions> constructions = ScanConstructions(sources, names);
  for (const ClassInfo* ci : classes) {
    const ClassConstructions& cc = constructions[ci->name];
    std::vector<std::map<std::string, nlohmann::json>> ways = cc.literal;
    bool defaults_listed = std::find(ways.begin(), ways.end(), std::map<std::string, nlohmann::json>{}) != ways.end();
    if (!defaults_listed) ways.insert(ways.begin(), std::map<std::string, nlohmann::json>{});
    for (const auto& args : ways) {
      PredictOptions o = po;
      o.args = args;
      auto e = PredictStateDict(index, ci->qualified_name, o);
      if (!e.ok() || e->keys.empty()) continue;
      auto c = std::make_unique<StructuralCandidate>();
      c->cls = ci->qualified_name;
      c->args = args;
      bool required_missing = std::any_of(e->params.begin(), e->params.end(), [](const ConstructorParam& p) {
        return !p.given && p.default_text.empty() && p.name.rfind('*', 0) != 0;
      });
      // Defaults are the construction only when nothing builds it otherwise:
      // no call with other (or unreadable) arguments anywhere in the source.
      bool is_defaults = args.empty();
      if (is_defaults) {
        c->construction_known = !required_missing && !cc.dynamic && (cc.literal.empty() || defaults_listed) &&
                                cc.literal.size() <= 1;
      } else {
        c->construction_known = !required_missing;
      }
      c->expected = std::move(e.value());
      raw.push_back(std::move(c));
    }
  }
  // Identical predictions are one candidate.
  std::map<std::string, size_t> by_signature;
  for (auto& c : raw) {
    Index(*c);
    std::string sig = Signature(c->expected);
    auto it = by_signature.find(sig);
    if (it == by_signature.end()) {
      c->classes.push_back(c->cls);
      if (!c->factory.empty()) c->factories.push_back(c->factory);
      by_signature.emplace(std::move(sig), out.list.size());
      out.list.push_back(std::move(c));
      continue;
    }
    StructuralCandidate& kept = *out.list[it->second];
    if (std::find(kept.classes.begin(), kept.classes.end(), c->cls) == kept.classes.end()) {
      kept.classes.push_back(c->cls);
    }
    if (!c->factory.empty() &&
        std::find(kept.factories.begin(), kept.factories.end(), c->factory) == kept.factories.end()) {
      kept.factories.push_back(c->factory);
    }
    if (c->construction_known && !kept.construction_known) {
      kept.construction_known = true;
      kept.args = c->args;
    }
  }
  for (auto& c : out.list) c->factory = c->factories.size() == 1 ? c->factories.front() : "";
  if (std::getenv("PTLINT_DEBUG_CANDIDATES") != nullptr) {
    for (auto& c : out.list) {
      std::fprintf(stderr, "candidate %s %s known=%d keys=%zu patterns=%zu open=%zu steps_out=%d\n", c->cls.c_str(),
                   c->factory.c_str(), c->construction_known, c->exact.size(), c->patterns.size(), c->open.size(),
                   c->expected.budget_exhausted);
    }
  }
  return out;
}

namespace {

bool ShapeFits(const PredictedShape& s, const std::vector<int64_t>* actual) {
  if (actual == nullptr || !s.rank_known) return true;
  if (s.dims.empty() && actual->size() == 1 && (*actual)[0] == 1) return true;
  if (s.dims.size() != actual->size()) return false;
  for (size_t i = 0; i < actual->size(); ++i) {
    if (s.dims[i].value && *s.dims[i].value != (*actual)[i]) return false;
  }
  return true;
}

struct KeyedCheckpoint {
  std::vector<std::string> keys;
  std::vector<const std::vector<int64_t>*> shapes;
};

double Score(const StructuralCandidate& c, const KeyedCheckpoint& ck, bool loose) {
  const auto& keys = ck.keys;
  if (keys.empty() || c.whole_open) return 0;
  std::unordered_map<std::string, const PredictedKey*> by_key;
  std::vector<const PredictedKey*> patterns;
  for (const PredictedKey& k : c.expected.keys) {
    if (!k.persistent) continue;
    if (k.is_pattern) {
      patterns.push_back(&k);
    } else {
      by_key.emplace(k.key, &k);
    }
  }
  size_t explained = 0, found = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    auto it = by_key.find(key);
    bool ok = false;
    if (it != by_key.end()) {
      ok = ShapeFits(it->second->shape, ck.shapes[i]);
      if (ok && c.exact.count(key)) ++found;
    }
    for (size_t p = 0; !ok && p < patterns.size(); ++p) {
      ok = KeyPatternMatches(patterns[p]->key, key) && ShapeFits(patterns[p]->shape, ck.shapes[i]);
    }
    for (size_t o = 0; loose && !ok && o < c.open.size(); ++o) ok = OpenPrefixCovers(c.open[o], key);
    if (ok) ++explained;
  }
  size_t required = c.exact.size();
  double recall;
  if (required > 0) {
    recall = static_cast<double>(found) / static_cast<double>(required);
  } else if (!c.patterns.empty()) {
    recall = explained > 0 ? 1 : 0;  // only repeated blocks: the file holds some instances
  } else {
    recall = loose ? 0.5 : 0;        // nothing of its own: never a binding
  }
  double precision = static_cast<double>(explained) / static_cast<double>(keys.size());
  if (recall + precision == 0) return 0;
  return 2 * recall * precision / (recall + precision);
}

std::string Percent(double x) { return std::to_string(static_cast<int>(x * 100 + 0.5)) + " %"; }

std::string ShortName(const std::string& q) {
  size_t dot = q.rfind('.');
  return dot == std::string::npos ? q : q.substr(dot + 1);
}

std::string Describe(const StructuralCandidate& c) {
  return c.factory.empty() ? ShortName(c.cls) : ShortName(c.factory) + "()";
}

}  // namespace

double CandidateScore(const StructuralCandidate& c, const std::vector<std::string>& keys, bool loose) {
  KeyedCheckpoint ck{keys, std::vector<const std::vector<int64_t>*>(keys.size(), nullptr)};
  return Score(c, ck, loose);
}

StructuralMatch MatchStructure(const StructuralCandidates& candidates, const std::vector<const TensorInfo*>& tensors,
                               const std::string& only_class) {
  StructuralMatch m;
  KeyedCheckpoint ck;
  for (const TensorInfo* t : tensors) {
    ck.keys.push_back(t->name);
    ck.shapes.push_back(&t->shape);
  }
  // A wrapper prefix on every key (DataParallel, torch.compile, stacked) is
  // not part of any class: strip it before matching.
  for (int depth = 0; depth < 3 && !ck.keys.empty(); ++depth) {
    bool stripped = false;
    for (const char* p : {"module.", "_orig_mod."}) {
      std::string_view prefix(p);
      if (std::all_of(ck.keys.begin(), ck.keys.end(),
                      [&](const std::string& k) { return k.size() > prefix.size() && k.rfind(prefix, 0) == 0; })) {
        for (std::string& k : ck.keys) k = k.substr(prefix.size());
        m.prefix += p;
        stripped = true;
      }
    }
    if (!stripped) break;
  }
  struct Scored {
    const StructuralCandidate* c;
    double closed;
    double loose;
  };
  std::vector<Scored> scored;
  for (const auto& c : candidates.list) {
    if (!only_class.empty() && std::find(c->classes.begin(), c->classes.end(), only_class) == c->classes.end()) {
      continue;
    }
    double closed = Score(*c, ck, false);
    double loose = c->open.empty() ? closed : Score(*c, ck, true);
    scored.push_back({c.get(), closed, loose});
  }
  if (scored.empty()) {
    m.note = "unbound: no candidate class predicts these keys";
    return m;
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.closed != b.closed) return a.closed > b.closed;
    if (a.c->construction_known != b.c->construction_known) return a.c->construction_known;
    return a.c->cls < b.c->cls;
  });
  const Scored& best = scored.front();
  m.score = best.closed;
  // The rivals: other classes (constructions of the same class are not a
  // rival for the class; the construction is judged on its own), by what
  // they could explain, open subtrees included.
  for (const Scored& s : scored) {
    if (s.c == best.c) continue;
    bool same_class = s.c->classes.size() == 1 && best.c->classes.size() == 1 && s.c->cls == best.c->cls;
    if (same_class) continue;
    m.runner_up = std::max(m.runner_up, std::max(s.closed, s.loose));
  }
  if (best.closed < 0.5) {
    m.note = "unbound: best candidate " + Describe(*best.c) + " explains " + Percent(best.closed) + " of keys";
    return m;
  }
  if (best.c->classes.size() > 1 || best.closed - m.runner_up < 0.1) {
    for (const Scored& s : scored) {
      bool same_class = s.c->classes.size() == 1 && best.c->classes.size() == 1 && s.c->cls == best.c->cls;
      if (s.c == best.c || (!same_class && best.closed - std::max(s.closed, s.loose) < 0.1)) m.tied.push_back(s.c);
    }
    m.note = "ambiguous: " + Describe(*best.c) + " explains " + Percent(best.closed) +
             " of keys, a rival " + Percent(m.runner_up);
    return m;
  }
  m.best = best.c;
  double construction_rival = 0;
  for (const Scored& s : scored) {
    if (s.c == best.c) continue;
    bool same_class = s.c->classes.size() == 1 && best.c->classes.size() == 1 && s.c->cls == best.c->cls;
    if (same_class) construction_rival = std::max(construction_rival, s.closed);
  }
  m.construction_certain = best.closed - construction_rival >= 0.1;
  if (!m.construction_certain) {
    m.note = "bound by structure to " + ShortName(best.c->cls) + "; its constructions explain the file alike (" +
             Describe(*best.c) + " " + Percent(best.closed) + ", another " + Percent(construction_rival) + ")";
  }
  return m;
}

}  // namespace ptlint
