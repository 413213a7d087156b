#include "analyzer/analysis/expected_state_dict_match.h"

#include "analyzer/analysis/key_pattern.h"

#include <set>
#include <unordered_map>

namespace ptlint {

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string ModulePathOf(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

}  // namespace

StateDictMatch MatchStateDict(const ExpectedStateDict& expected, const std::vector<ActualKey>& actual,
                              const std::map<std::string, std::optional<int64_t>>& actual_metadata) {
  StateDictMatch m;
  m.actual_keys = actual.size();
  std::unordered_map<std::string, const ActualKey*> by_key;
  for (const auto& a : actual) by_key[a.key] = &a;
  std::unordered_map<std::string, const PredictedKey*> exact;
  std::vector<const PredictedKey*> patterns;
  for (const auto& k : expected.keys) {
    if (k.is_pattern) patterns.push_back(&k);
    else exact[k.key] = &k;
  }
  auto check_shape = [&](const PredictedKey& p, const ActualKey& a) {
    if (!p.shape.rank_known) return;
    if (p.shape.dims.size() != a.shape.size()) {
      m.contradictions.push_back(a.key + ": predicted rank " + std::to_string(p.shape.dims.size()) + " " +
                                 p.shape.ToString() + ", real shape " + ShapeText(a.shape));
      return;
    }
    for (size_t i = 0; i < a.shape.size(); ++i) {
      if (p.shape.dims[i].value && *p.shape.dims[i].value != a.shape[i]) {
        m.contradictions.push_back(a.key + ": predicted " + p.shape.ToString() + ", real shape " + ShapeText(a.shape) +
                                   " (dimension " + std::to_string(i) + ": " + p.shape.dims[i].expr + ")");
        return;
      }
    }
  };
  // Module paths whose subtree was predicted exact (claimed complete).
  std::set<std::string> exact_paths;
  for (const auto& md : expected.metadata) {
    if (!md.is_pattern && md.confidence == Confidence::kExact && !md.optional) exact_paths.insert(md.path);
  }
  for (const auto& a : actual) {
    auto e = exact.find(a.key);
    if (e != exact.end()) {
      const PredictedKey& p = *e->second;
      if (!p.persistent) {
        m.contradictions.push_back(a.key + ": predicted a non-persistent buffer, but it is in the state dict");
      }
      check_shape(p, a);
      ++m.covered_exact;
      continue;
    }
    const PredictedKey* pattern = nullptr;
    for (const PredictedKey* p : patterns) {
      if (KeyPatternMatches(p->key, a.key)) {
        pattern = p;
        break;
      }
    }
    if (pattern) {
      if (pattern->persistent) check_shape(*pattern, a);
      ++m.covered_pattern;
      continue;
    }
    bool open = false;
    for (const auto& o : expected.open) {
      if (OpenPrefixCovers(o.prefix, a.key)) {
        open = true;
        break;
      }
    }
    if (open) {
      ++m.covered_open;
      continue;
    }
    m.uncovered.push_back(a.key);
    if (exact_paths.count(ModulePathOf(a.key))) {
      m.contradictions.push_back(a.key + ": in the real state dict, but the prediction for module `" +
                                 ModulePathOf(a.key) + "` was exact and does not name it");
    }
  }
  for (const auto& k : expected.keys) {
    if (k.is_pattern || k.optional || !k.persistent) continue;
    if (!by_key.count(k.key)) {
      m.contradictions.push_back(k.key + ": predicted (exact, not optional) but absent from the real state dict");
    }
  }
  for (const auto& md : expected.metadata) {
    if (md.is_pattern || md.confidence != Confidence::kExact) continue;
    auto it = actual_metadata.find(md.path);
    if (it == actual_metadata.end() || !it->second) continue;
    if (*it->second != md.version) {
      m.contradictions.push_back("_metadata['" + md.path + "']: predicted version " + std::to_string(md.version) +
                                 ", real " + std::to_string(*it->second));
    }
  }
  return m;
}

}  // namespace ptlint
