#include "analyzer/analysis/structural_binding.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "analyzer/analysis/candidate_vocabulary.h"
#include "analyzer/analysis/key_pattern.h"
#include "analyzer/support/worker_pool.h"

namespace ptlint {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The index of the `)` matching the `(` at `open`, or npos.
size_t MatchingParen(std::string_view s, size_t open) {
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
      i = SkipPythonString(s, i) - 1;
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
    if (text.size() < 2 || text.back() != c || SkipPythonString(text, 0) != text.size()) return std::nullopt;
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
        i = SkipPythonString(s, i);
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

}  // namespace

void IndexCandidate(StructuralCandidate& c) {
  auto add_head = [&c](const std::string& key) {
    std::string head = key.substr(0, key.find('.'));
    if (head.find('*') != std::string::npos) c.any_head = true;
    c.heads.insert(std::move(head));
  };
  for (const PredictedKey& k : c.expected.keys) {
    if (!k.persistent) continue;
    add_head(k.key);
    if (k.is_pattern) {
      c.pattern_keys.push_back(&k);
      std::string head = k.key.substr(0, k.key.find('.'));
      if (head.find('*') == std::string::npos) {
        c.patterns_by_head[head].push_back(&k);
      } else {
        c.wild_patterns.push_back(&k);
      }
    } else {
      c.by_key.emplace(k.key, &k);
    }
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
    add_head(o.prefix);
  }
  for (size_t i = 0; i < c.open.size(); ++i) {
    if (!c.open[i].empty() && c.open[i].find('*') == std::string::npos) {
      c.open_literal.insert(c.open[i]);
      continue;
    }
    std::string head = c.open[i].substr(0, c.open[i].find('.'));
    if (head.find('*') == std::string::npos) {
      c.open_by_head[head].push_back(i);
    } else {
      c.wild_open.push_back(i);
    }
  }
}

namespace {

bool IsTorchName(const std::string& q) { return q.rfind("torch.", 0) == 0 || q == "torch"; }

// Tests and examples are not where a library's builders live.
bool IsTestModule(const std::string& module) {
  return module.rfind("test", 0) == 0 || module.find(".test") != std::string::npos ||
         module.find("conftest") != std::string::npos;
}

}  // namespace

namespace {

void AddJsonStrings(const nlohmann::json& j, Vocabulary& out) {
  if (j.is_string()) AddVocabulary(j.get<std::string>(), out);
  if (j.is_array() || j.is_object()) {
    for (const auto& item : j) AddJsonStrings(item, out);
  }
}

// The identity of a candidate (class, builders, arguments) read from its
// specs in spec order: the first spec's, and the first known construction's
// arguments when the first is not known.
void FillIdentity(const StructuralCandidates& all, StructuralCandidate& c) {
  const StructuralCandidates::Spec& first = all.specs[c.specs.front()];
  c.cls = first.built;
  c.args = first.args;
  c.construction_known = first.known;
  c.classes.clear();
  c.factories.clear();
  for (size_t i : c.specs) {
    const StructuralCandidates::Spec& spec = all.specs[i];
    if (std::find(c.classes.begin(), c.classes.end(), spec.built) == c.classes.end()) c.classes.push_back(spec.built);
    if (!spec.factory.empty() &&
        std::find(c.factories.begin(), c.factories.end(), spec.factory) == c.factories.end()) {
      c.factories.push_back(spec.factory);
    }
    if (spec.known && !c.construction_known) {
      c.construction_known = true;
      c.args = spec.args;
    }
  }
  c.factory = c.factories.size() == 1 ? c.factories.front() : "";
}

// A spec's prediction. Reads only the spec and the index: several run at
// once, each thread with its own memo.
Result<ExpectedStateDict> PredictSpec(const StructuralCandidates& all, size_t spec_index, PredictionMemo* memo) {
  const StructuralCandidates::Spec& spec = all.specs[spec_index];
  PredictOptions po;
  po.max_steps = 400'000;  // a candidate, not a bound class: keep each one cheap
  po.args = spec.args;
  po.memo = memo;
  static const bool debug = std::getenv("PTLINT_DEBUG_CANDIDATES") != nullptr;
  if (!debug) return PredictStateDict(*all.index, spec.factory.empty() ? spec.cls : spec.factory, po);
  auto start = std::chrono::steady_clock::now();
  Result<ExpectedStateDict> e = PredictStateDict(*all.index, spec.factory.empty() ? spec.cls : spec.factory, po);
  std::fprintf(stderr, "predicted %s%s: %zu keys, %.1f ms\n", spec.factory.empty() ? spec.cls.c_str() : spec.factory.c_str(),
               spec.args.empty() ? "" : "(args)", e.ok() ? e->keys.size() : 0,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return e;
}

// A spec's prediction made ready to join the candidates: its signature
// and, when it predicts keys, a candidate indexed for matching. Built by the
// thread that predicted it, outside the lock.
struct PreparedPrediction {
  std::unique_ptr<StructuralCandidate> fresh;  // null: the prediction failed or has no key
  std::string signature;
  std::string class_name;
  bool required_missing = false;  // defaults with a required argument missing
};

PreparedPrediction Prepare(const StructuralCandidates& all, size_t spec_index, Result<ExpectedStateDict> e) {
  PreparedPrediction out;
  if (!e.ok() || e->keys.empty()) return out;
  out.class_name = e->class_name;
  if (all.specs[spec_index].factory.empty()) {
    // Defaults with a required argument missing are no construction at all.
    out.required_missing = std::any_of(e->params.begin(), e->params.end(), [](const ConstructorParam& p) {
      return !p.given && p.default_text.empty() && p.name.rfind('*', 0) != 0;
    });
  }
  out.signature = Signature(e.value());
  out.fresh = std::make_unique<StructuralCandidate>();
  out.fresh->expected = std::move(e.value());
  IndexCandidate(*out.fresh);
  return out;
}

// Adds a spec's prediction to the candidates (one thread at a time). The
// result does not depend on the order specs are added in (see
// StructuralCandidate::specs). Returns the candidate's index when the
// prediction is a new candidate, else -1.
int Integrate(StructuralCandidates& all, size_t spec_index, PreparedPrediction p) {
  StructuralCandidates::Spec& spec = all.specs[spec_index];
  spec.predicted = -2;
  if (!p.fresh) return -1;
  spec.built = p.class_name;
  spec.known = spec.construction_known && !p.required_missing;
  auto it = all.by_signature.find(p.signature);
  if (it == all.by_signature.end()) {
    p.fresh->specs.push_back(spec_index);
    FillIdentity(all, *p.fresh);
    all.by_signature.emplace(std::move(p.signature), all.list.size());
    spec.predicted = static_cast<int>(all.list.size());
    all.list.push_back(std::move(p.fresh));
    return spec.predicted;
  }
  // Identical predictions are one candidate; an earlier spec's prediction
  // replaces the kept one (the same keys and shapes, its own locations).
  StructuralCandidate& kept = *all.list[it->second];
  spec.predicted = static_cast<int>(it->second);
  auto at = std::lower_bound(kept.specs.begin(), kept.specs.end(), spec_index);
  const bool first = at == kept.specs.begin();
  kept.specs.insert(at, spec_index);
  if (first) {
    p.fresh->specs = std::move(kept.specs);
    kept = std::move(*p.fresh);
  }
  FillIdentity(all, kept);
  return -1;
}

}  // namespace

unsigned DefaultPredictionThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : std::min(n, 8u);
}

StructuralCandidates CollectStructuralCandidates(const ModuleIndex& index) {
  StructuralCandidates out;
  out.index = &index;
  // What each candidate could name at the top level (candidate_vocabulary.h).
  CandidateVocabularies vocabularies(index);
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
  // The constructions are scanned on another core while the builders'
  // vocabularies are read (both only read the index).
  std::map<std::string, ClassConstructions> constructions;
  RunOnWorkers(2, [&](size_t part) {
    if (part == 1) {
      constructions = ScanConstructions(sources, names);
      return;
    }
    // Builders: public module-level functions that take no required argument.
    for (const auto& file : index.files()) {
      if (IsTestModule(file->info.module_name)) continue;
      for (const FunctionInfo& f : file->functions) {
        if (f.name.empty() || f.name[0] == '_' || IsTorchName(f.qualified_name)) continue;
        if (!AllParametersDefaulted(file->parsed.source, f.name)) continue;
        StructuralCandidates::Spec spec;
        spec.factory = f.qualified_name;
        spec.construction_known = true;
        spec.vocabulary = vocabularies.OfFunction(f);
        out.specs.push_back(std::move(spec));
      }
    }
  });
  for (const ClassInfo* ci : classes) {
    const ClassConstructions& cc = constructions[ci->name];
    std::vector<std::map<std::string, nlohmann::json>> ways = cc.literal;
    bool defaults_listed = std::find(ways.begin(), ways.end(), std::map<std::string, nlohmann::json>{}) != ways.end();
    if (!defaults_listed) ways.insert(ways.begin(), std::map<std::string, nlohmann::json>{});
    const IndexedFile* file = nullptr;
    for (const auto& f : index.files()) {
      if (f->info.path == ci->path) file = f.get();
    }
    for (const auto& args : ways) {
      StructuralCandidates::Spec spec;
      spec.cls = ci->qualified_name;
      spec.args = args;
      // Defaults are the construction only when nothing builds it otherwise:
      // no call with other (or unreadable) arguments anywhere in the source.
      spec.construction_known = !args.empty() || (!cc.dynamic && (cc.literal.empty() || defaults_listed) &&
                                                  cc.literal.size() <= 1);
      if (file == nullptr) continue;
      // A construction's string arguments can name entries (ModuleDict keys).
      Vocabulary strings;
      for (const auto& arg : args) AddJsonStrings(arg.second, strings);
      spec.vocabulary = vocabularies.WithWords(vocabularies.OfClass(*ci), strings);
      out.specs.push_back(std::move(spec));
    }
  }
  out.vocabularies = std::move(vocabularies.vocabularies());
  if (std::getenv("PTLINT_DEBUG_CANDIDATES") != nullptr) {
    std::fprintf(stderr, "structural candidates: %zu specs, %zu vocabularies\n", out.specs.size(),
                 out.vocabularies.size());
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
  std::vector<std::string> heads;  // first component of each key
  // The keys by first component, in first-seen order: a candidate skips
  // every key under a head it cannot name (most candidates, most heads).
  std::vector<std::pair<std::string, std::vector<size_t>>> by_head;
  void Finish() {
    heads.clear();
    by_head.clear();
    std::unordered_map<std::string, size_t> at;
    for (size_t i = 0; i < keys.size(); ++i) {
      heads.push_back(keys[i].substr(0, keys[i].find('.')));
      auto [it, added] = at.emplace(heads.back(), by_head.size());
      if (added) by_head.push_back({heads.back(), {}});
      by_head[it->second].second.push_back(i);
    }
  }
};

struct Scores {
  double closed = 0;  // by key names the candidate itself predicts
  double loose = 0;   // open subtrees count too
  double fit = 0;     // by names and shapes: which construction
};

double Harmonic(double recall, double precision) {
  return recall + precision == 0 ? 0 : 2 * recall * precision / (recall + precision);
}

Scores Score(const StructuralCandidate& c, const KeyedCheckpoint& ck) {
  Scores out;
  const auto& keys = ck.keys;
  if (keys.empty() || c.whole_open) return out;
  const auto& by_key = c.by_key;
  const auto& patterns = c.pattern_keys;
  (void)patterns;
  size_t named = 0, fitted = 0, opened = 0, found = 0, found_fit = 0;
  for (const auto& [head, members] : ck.by_head) {
    if (!c.any_head && c.heads.count(head) == 0) continue;  // nothing of its own under it
    for (size_t i : members) {
      const std::string& key = keys[i];
      bool name = false, fit = false;
      auto it = by_key.find(key);
      if (it != by_key.end()) {
        name = true;
        fit = ShapeFits(it->second->shape, ck.shapes[i]);
        if (c.exact.count(key)) {
          ++found;
          found_fit += fit ? 1 : 0;
        }
      }
      if (!fit && !patterns.empty()) {
        auto try_patterns = [&](const std::vector<const PredictedKey*>& list) {
          for (size_t p = 0; !fit && p < list.size(); ++p) {
            if (!KeyPatternMatches(list[p]->key, key)) continue;
            name = true;
            fit = ShapeFits(list[p]->shape, ck.shapes[i]);
          }
        };
        auto h = c.patterns_by_head.find(ck.heads[i]);
        if (h != c.patterns_by_head.end()) try_patterns(h->second);
        try_patterns(c.wild_patterns);
      }
      bool open = false;
      if (!name && !c.open_literal.empty()) {
        // OpenPrefixCovers for the literal prefixes: "a.b." covers what is
        // strictly under a.b, "a.b" covers a.b and what is under it.
        std::string_view k(key);
        for (size_t dot = k.find('.'); !open && dot != std::string_view::npos; dot = k.find('.', dot + 1)) {
          open = c.open_literal.count(std::string(k.substr(0, dot))) > 0 ||
                 c.open_literal.count(std::string(k.substr(0, dot + 1))) > 0;
        }
        open = open || c.open_literal.count(key) > 0;
      }
      if (!name && !open) {
        auto covers = [&](const std::vector<size_t>& list) {
          for (size_t o = 0; !open && o < list.size(); ++o) open = OpenPrefixCovers(c.open[list[o]], key);
        };
        auto h = c.open_by_head.find(ck.heads[i]);
        if (h != c.open_by_head.end()) covers(h->second);
        covers(c.wild_open);
      }
      named += name ? 1 : 0;
      fitted += fit ? 1 : 0;
      opened += open ? 1 : 0;
    }
  }
  double n = static_cast<double>(keys.size());
  size_t required = c.exact.size();
  auto recall_of = [&](size_t hits, size_t explained) {
    if (required > 0) return static_cast<double>(hits) / static_cast<double>(required);
    if (!c.patterns.empty()) return explained > 0 ? 1.0 : 0.0;  // only repeated blocks
    return 0.0;                                                  // nothing of its own: never a binding
  };
  out.closed = Harmonic(recall_of(found, named), static_cast<double>(named) / n);
  out.fit = Harmonic(recall_of(found_fit, fitted), static_cast<double>(fitted) / n);
  double loose_recall = required > 0 || !c.patterns.empty() ? recall_of(found, named + opened) : 0.5;
  out.loose = Harmonic(loose_recall, static_cast<double>(named + opened) / n);
  return out;
}

std::string Percent(double x) { return std::to_string(std::lround(x * 100)) + " %"; }

std::string ShortName(const std::string& q) {
  size_t dot = q.rfind('.');
  return dot == std::string::npos ? q : q.substr(dot + 1);
}

std::string Describe(const StructuralCandidate& c) {
  return c.factory.empty() ? ShortName(c.cls) : ShortName(c.factory) + "()";
}

}  // namespace

double CandidateScore(const StructuralCandidate& c, const std::vector<std::string>& keys, bool loose) {
  KeyedCheckpoint ck{keys, std::vector<const std::vector<int64_t>*>(keys.size(), nullptr), {}};
  ck.Finish();
  Scores s = Score(c, ck);
  return loose ? s.loose : s.closed;
}

namespace {

struct Scored {
  const StructuralCandidate* c;
  Scores s;
};

// The decision on scored candidates (a copy: sorted here). `m` carries the
// prefix already; `pruned_cap` is what an unpredicted rival could explain.
// `*settled`, when the file is bound to one construction with a margin: the
// score a candidate not yet predicted must reach to change any of that.
StructuralMatch Decide(std::vector<Scored> scored, StructuralMatch m, double pruned_cap, bool restricted,
                       double* settled) {
  *settled = -1;  // nothing is settled: predict every relevant candidate
  if (scored.empty()) {
    m.note = "unbound: no candidate class predicts these keys";
    return m;
  }
  // The class by key names; among its constructions, shapes decide. Ties
  // go to the earlier spec, so the order candidates were predicted in does
  // not matter.
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.s.closed != b.s.closed) return a.s.closed > b.s.closed;
    if (a.s.fit != b.s.fit) return a.s.fit > b.s.fit;
    if (a.c->construction_known != b.c->construction_known) return a.c->construction_known;
    if (a.c->cls != b.c->cls) return a.c->cls < b.c->cls;
    return a.c->specs.front() < b.c->specs.front();
  });
  const Scored& top = scored.front();
  auto same_class = [](const StructuralCandidate* a, const StructuralCandidate* b) {
    return a->classes.size() == 1 && b->classes.size() == 1 && a->cls == b->cls;
  };
  m.score = top.s.closed;
  // A file one construction explains exactly (every key by a name and shape
  // it predicts itself, every key it requires present) has no rival but a
  // class that could explain every key too: a class that cannot name some of
  // them would need those to have drifted, where this one needs nothing.
  const bool exact = top.s.closed >= 1.0 && top.s.fit >= 1.0;
  auto rival_score = [exact](const Scored& s) {
    double r = std::max(s.s.closed, s.s.loose);
    return exact && r < 1.0 ? 0.0 : r;
  };
  m.runner_up = restricted ? 0 : pruned_cap;
  // The rivals: other classes, by what they could explain, open subtrees
  // included (constructions of the same class are not rivals for the class).
  double rival = exact ? 0 : m.runner_up;  // an unpredicted one explains under a third of the keys
  for (const Scored& s : scored) {
    if (s.c == top.c || same_class(s.c, top.c)) continue;
    m.runner_up = std::max(m.runner_up, std::max(s.s.closed, s.s.loose));
    rival = std::max(rival, rival_score(s));
  }
  if (top.s.closed < 0.5) {
    m.note = "unbound: best candidate " + Describe(*top.c) + " explains " + Percent(top.s.closed) + " of keys";
    return m;
  }
  if (top.c->classes.size() > 1 || top.s.closed - rival < 0.1) {
    for (const Scored& s : scored) {
      if (s.c == top.c || (!same_class(s.c, top.c) && top.s.closed - rival_score(s) < 0.1)) {
        m.tied.push_back(s.c);
      }
    }
    m.note = "ambiguous: " + Describe(*top.c) + " explains " + Percent(top.s.closed) + " of keys, a rival " +
             Percent(m.runner_up);
    return m;
  }
  // The construction: the class's candidate whose shapes fit best, with a
  // margin over its other constructions.
  const Scored* best = &top;
  for (const Scored& s : scored) {
    if (same_class(s.c, top.c) && s.s.fit > best->s.fit) best = &s;
  }
  double construction_rival = 0;
  for (const Scored& s : scored) {
    if (s.c != best->c && same_class(s.c, top.c)) construction_rival = std::max(construction_rival, s.s.fit);
  }
  m.best = best->c;
  m.construction_certain = best->s.fit - construction_rival >= 0.1;
  // A candidate not yet predicted scores at most its bound (every score is
  // under the share of keys its vocabulary names): below this it can be
  // neither a better class nor a rival within the margin, nor a better
  // construction nor one within its margin, nor share the top's prediction.
  if (m.construction_certain) *settled = std::min(top.s.closed, best->s.fit) - 0.1 - 1e-9;
  if (!m.construction_certain) {
    m.note = "bound by structure to " + ShortName(best->c->cls) + "; its constructions explain the file alike (" +
             Describe(*best->c) + " " + Percent(best->s.fit) + ", another " + Percent(construction_rival) + ")";
  }
  return m;
}


}  // namespace

namespace {
StructuralMatch MatchKeys(StructuralCandidates& candidates, const std::vector<const TensorInfo*>& tensors,
                          const std::string& only_class);
}  // namespace

StructuralMatch MatchStructure(StructuralCandidates& candidates, const std::vector<const TensorInfo*>& tensors,
                               const std::string& only_class) {
  // The same keys and shapes (a folder of one model's epochs) get the same
  // decision: it depends on nothing else, whichever candidates are predicted.
  std::string signature = only_class;
  signature += '\n';
  for (const TensorInfo* t : tensors) {
    signature += t->name;
    signature += ':';
    for (int64_t d : t->shape) signature += std::to_string(d) + ",";
    signature += ';';
  }
  if (auto known = candidates.matched.find(signature); known != candidates.matched.end()) return known->second;
  StructuralMatch m = MatchKeys(candidates, tensors, only_class);
  candidates.matched.emplace(std::move(signature), m);
  return m;
}

namespace {

StructuralMatch MatchKeys(StructuralCandidates& candidates, const std::vector<const TensorInfo*>& tensors,
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
  ck.Finish();
  // Relevance: a spec whose vocabulary names under kRelevantShare of the
  // keys is never predicted for this file (and caps what a rival could
  // explain); the others are predicted in the order of their bound (the
  // harmonic score if every named key were theirs), until the decision is
  // settled beyond what the rest could reach.
  std::map<std::string, size_t> top_counts;
  for (const std::string& k : ck.keys) top_counts[k.substr(0, k.find('.'))]++;
  const double n = static_cast<double>(ck.keys.size());
  bool pruned = false;
  std::vector<std::pair<double, size_t>> pending;  // (bound, spec)
  std::vector<char> relevant(candidates.specs.size(), 0);
  for (size_t i = 0; i < candidates.specs.size(); ++i) {
    const StructuralCandidates::Spec& spec = candidates.specs[i];
    if (!only_class.empty() && !spec.cls.empty() && spec.cls != only_class) continue;
    const auto& words = candidates.vocabularies[spec.vocabulary];
    size_t named = 0;
    for (const auto& [top, count] : top_counts) {
      bool index_like = !top.empty() && std::all_of(top.begin(), top.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      // `layer3` may be built as f"layer{i}" / "layer%d" % i: the text holds `layer`.
      size_t stem = top.find_last_not_of("0123456789_");
      bool numbered = stem != std::string::npos && stem + 1 < top.size() && words.count(top.substr(0, stem + 1)) > 0;
      if (index_like || numbered || words.count(top)) named += count;
    }
    const double share = static_cast<double>(named) / n;
    if (share < StructuralCandidates::kRelevantShare) {
      pruned = true;
      continue;
    }
    relevant[i] = 1;
    if (spec.predicted == -1) pending.push_back({Harmonic(1.0, share), i});
  }
  std::stable_sort(pending.begin(), pending.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  // An unpredicted candidate names under kRelevantShare of the keys: it
  // could score at most this, and it is a rival at that score.
  const double p = StructuralCandidates::kRelevantShare;
  const double pruned_cap = pruned ? 2 * p / (1 + p) : 0;
  // Only candidates with a relevant spec are scored: one predicted for
  // another file that names under kRelevantShare of these keys scores under
  // `pruned_cap`, as an unpredicted one is assumed to, so this file's
  // decision does not depend on which files came before it. A candidate
  // that a relevant spec joins later (an identical prediction) is scored
  // then.
  std::vector<Scored> scored;
  std::vector<char> is_scored;
  // Scores computed by the thread that predicted a new candidate.
  std::unordered_map<size_t, Scores> scored_by_predictor;
  // `spread`: score on every prediction thread. The first call, before any
  // worker runs, scores every relevant candidate already predicted: for a
  // file whose rivals were all predicted for earlier files that is all of
  // its matching (~30 of the 300 ms the 18-checkpoint bench spends matching
  // ran on one core). Later calls score the few a prediction adds.
  auto score_new = [&](bool spread) {
    is_scored.resize(candidates.list.size(), 0);
    std::vector<size_t> todo;
    for (size_t i = 0; i < candidates.list.size(); ++i) {
      if (is_scored[i]) continue;
      const StructuralCandidate& c = *candidates.list[i];
      if (std::none_of(c.specs.begin(), c.specs.end(), [&](size_t spec) { return relevant[spec] != 0; })) continue;
      is_scored[i] = 1;
      todo.push_back(i);
    }
    std::vector<Scores> results(todo.size());
    // Score only reads the candidate and the file: threads take every n-th.
    auto score_some = [&](size_t first, size_t step) {
      for (size_t k = first; k < todo.size(); k += step) {
        auto ready = scored_by_predictor.find(todo[k]);
        results[k] = ready != scored_by_predictor.end() ? ready->second : Score(*candidates.list[todo[k]], ck);
      }
    };
    const size_t threads = spread && todo.size() >= 16 ? std::max(candidates.threads, 1u) : 1;
    RunOnWorkers(threads, [&](size_t t) { score_some(t, threads); });
    for (size_t k = 0; k < todo.size(); ++k) scored.push_back({candidates.list[todo[k]].get(), results[k]});
  };
  auto in_class = [&](std::vector<Scored> all) {
    // A pickled module names its class: only that class's candidates (a
    // merge may have added it to a candidate since it was scored).
    if (only_class.empty()) return all;
    std::vector<Scored> kept;
    for (const Scored& s : all) {
      if (std::find(s.c->classes.begin(), s.c->classes.end(), only_class) != s.c->classes.end()) kept.push_back(s);
    }
    return kept;
  };
  score_new(true);
  // Predict in bound order until the decision is settled beyond what the
  // rest could reach, on up to `threads` threads. Each thread takes the next
  // spec while its bound can still change the decision, predicts it with its
  // own memo, and adds it under the lock; the decision is re-read after each
  // addition (a new rival can unsettle it, and waiting threads then go on).
  // Which specs get predicted may vary with timing; the decision does not:
  // whatever is left has a bound under the final threshold, as when one
  // thread predicts them in order.
  double settled = -1;
  size_t next = 0;
  size_t in_flight = 0;
  std::mutex lock;
  std::condition_variable changed;
  auto take = [&]() -> std::optional<size_t> {  // under the lock
    if (only_class.empty()) Decide(in_class(scored), m, pruned_cap, false, &settled);
    if (next < pending.size() && pending[next].first >= settled) return pending[next++].second;
    return std::nullopt;
  };
  auto work = [&](PredictionMemo* memo) {
    std::unique_lock<std::mutex> held(lock);
    for (;;) {
      std::optional<size_t> spec = take();
      if (!spec) {
        if (in_flight == 0) break;
        changed.wait(held);
        continue;
      }
      ++in_flight;
      held.unlock();
      // Predicted, indexed and scored outside the lock: a candidate is
      // scored the same wherever it is (identical predictions score alike).
      PreparedPrediction prepared = Prepare(candidates, *spec, PredictSpec(candidates, *spec, memo));
      std::optional<Scores> score;
      if (prepared.fresh) score = Score(*prepared.fresh, ck);
      held.lock();
      int added = Integrate(candidates, *spec, std::move(prepared));
      if (added >= 0 && score) scored_by_predictor.emplace(static_cast<size_t>(added), *score);
      score_new(false);
      --in_flight;
      changed.notify_all();
    }
  };
  // One copy at least: with nothing pending, it still reads the decision once.
  const size_t workers =
      std::max<size_t>(1, std::min<size_t>(std::max(candidates.threads, 1u), pending.size()));
  while (candidates.worker_memos.size() + 1 < workers) {
    // Each thread's own memo, sharing the layers and constructions built.
    candidates.worker_memos.push_back(std::make_unique<PredictionMemo>(*candidates.memo));
  }
  RunOnWorkers(workers, [&](size_t t) {
    work(t == 0 ? candidates.memo.get() : candidates.worker_memos[t - 1].get());
  });
  return Decide(in_class(scored), m, pruned_cap, !only_class.empty(), &settled);
}

}  // namespace

}  // namespace ptlint
