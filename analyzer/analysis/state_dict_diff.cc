#include "analyzer/analysis/state_dict_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "analyzer/analysis/key_pattern.h"

namespace ptlint {

std::string TorchSizeText(const std::vector<int64_t>& shape) {
  std::string s = "torch.Size([";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "])";
}

std::string TorchLoadStateDictError(const std::string& class_name,
                                    const std::vector<std::string>& missing,
                                    const std::vector<std::string>& unexpected,
                                    const std::vector<std::string>& size_mismatches,
                                    size_t max_keys) {
  auto quoted = [&](const std::vector<std::string>& keys) {
    std::string s;
    for (size_t i = 0; i < keys.size() && i < max_keys; ++i) {
      if (i) s += ", ";
      s += "\"" + keys[i] + "\"";
    }
    if (keys.size() > max_keys) s += ", ...";
    return s;
  };
  // Same layout as torch/nn/modules/module.py: missing, then unexpected, then
  // the size-mismatch lines, joined with "\n\t".
  std::string msg = "RuntimeError: Error(s) in loading state_dict for " + class_name + ":";
  if (!missing.empty()) msg += "\n\tMissing key(s) in state_dict: " + quoted(missing) + ". ";
  if (!unexpected.empty()) msg += "\n\tUnexpected key(s) in state_dict: " + quoted(unexpected) + ". ";
  for (size_t i = 0; i < size_mismatches.size() && i < max_keys; ++i) msg += "\n\t" + size_mismatches[i];
  return msg;
}

namespace {

struct ExpectedSet {
  std::unordered_map<std::string, const PredictedKey*> exact;
  std::vector<const PredictedKey*> patterns;
  std::vector<std::string> open_prefixes;
  bool whole_open = false;

  explicit ExpectedSet(const ExpectedStateDict& e) {
    for (const PredictedKey& k : e.keys) {
      if (!k.persistent) continue;
      if (k.is_pattern) {
        patterns.push_back(&k);
      } else {
        exact.emplace(k.key, &k);
      }
    }
    for (const OpenSubtree& o : e.open) {
      if (o.prefix.empty()) whole_open = true;
      open_prefixes.push_back(o.prefix);
    }
  }

  bool Explains(const std::string& key) const {
    if (whole_open || exact.count(key)) return true;
    for (const PredictedKey* p : patterns) {
      if (KeyPatternMatches(p->key, key)) return true;
    }
    for (const std::string& o : open_prefixes) {
      if (OpenPrefixCovers(o, key)) return true;
    }
    return false;
  }
};

size_t CountExplained(const ExpectedSet& set, const std::vector<std::string>& keys) {
  size_t n = 0;
  for (const std::string& k : keys) n += set.Explains(k) ? 1 : 0;
  return n;
}

// The wrapper prefixes people hit, plus whatever single leading component
// all keys share (a Lightning attribute name such as `model.`).
std::string FindExtraPrefix(const ExpectedSet& set, const std::vector<std::string>& keys) {
  if (keys.empty()) return {};
  size_t base = CountExplained(set, keys);
  if (base * 2 > keys.size()) return {};  // most keys already line up: no wrapper
  std::string prefix;
  std::vector<std::string> current = keys;
  for (int depth = 0; depth < 3; ++depth) {
    // The first component shared by every key.
    size_t dot = current[0].find('.');
    if (dot == std::string::npos) break;
    std::string first = current[0].substr(0, dot + 1);
    bool shared = std::all_of(current.begin(), current.end(),
                              [&](const std::string& k) { return k.rfind(first, 0) == 0; });
    if (!shared) break;
    prefix += first;
    for (std::string& k : current) k = k.substr(first.size());
    if (CountExplained(set, current) * 10 >= current.size() * 9) return prefix;
  }
  return {};
}

int64_t MetadataVersion(const Checkpoint& cp, const std::string& module_path, bool* found) {
  auto it = cp.metadata_versions.find(module_path);
  *found = it != cp.metadata_versions.end();
  return *found ? it->second : 0;
}

bool ShapesCompatible(const PredictedShape& s, const std::vector<int64_t>& actual,
                      std::vector<size_t>* differ) {
  if (!s.rank_known) return true;
  // torch accepts a (1,)-shaped tensor for a 0-dim parameter (0.3 -> 0.4 compat).
  if (s.dims.empty() && actual.size() == 1 && actual[0] == 1) return true;
  if (s.dims.size() != actual.size()) {
    for (size_t i = 0; i < std::max(s.dims.size(), actual.size()); ++i) differ->push_back(i);
    return false;
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (s.dims[i].value && *s.dims[i].value != actual[i]) differ->push_back(i);
  }
  return differ->empty();
}

}  // namespace

StateDictDiff DiffStateDict(const ExpectedStateDict& expected, const Checkpoint& cp) {
  StateDictDiff diff;
  ExpectedSet set(expected);
  std::vector<const TensorInfo*> tensors;
  std::vector<std::string> names;
  const bool loose_root = cp.layout == Layout::kOther && cp.state_dict_path.empty();
  for (const TensorInfo& t : cp.tensors) {
    // Not a state-dict key: a place in another object ("['optimizer']..."),
    // or a tensor a pickled module keeps as a plain attribute
    // ("._modules['conv'].weight", what weight_norm leaves in __dict__).
    // A dict that also holds non-tensors is read as `other`, its tensors
    // named by subscript (`['fc.weight']`): at the root, they are its keys.
    if (loose_root && t.name.size() > 4 && t.name.rfind("['", 0) == 0 &&
        t.name.compare(t.name.size() - 2, 2, "']") == 0 && t.name.find("']", 2) == t.name.size() - 2) {
      tensors.push_back(&t);
      names.push_back(t.name.substr(2, t.name.size() - 4));
      continue;
    }
    if (t.name.empty() || t.name[0] == '[' || t.name[0] == '.') continue;
    tensors.push_back(&t);
    names.push_back(t.name);
  }
  diff.checkpoint_keys = names.size();
  // Non-tensor entries beside the tensors of a state dict at the file's root
  // (`sd["epoch"] = 3`): torch reports each as an unexpected key.
  // (A dict with such entries is no longer state-dict-like to the reader:
  // `other`, with its tensors at the root.)
  bool root_tensors = !names.empty();
  if (cp.state_dict_path.empty() && root_tensors &&
      (cp.layout == Layout::kStateDict || cp.layout == Layout::kTensorDict || cp.layout == Layout::kOther)) {
    std::unordered_set<std::string> tensor_names(names.begin(), names.end());
    for (const std::string& k : cp.top_level_keys) {
      if (!tensor_names.count(k) && !set.Explains(k)) diff.unexpected_entries.push_back(k);
    }
  }

  diff.extra_prefix = FindExtraPrefix(set, names);
  std::string meta_prefix = diff.extra_prefix.empty() ? "" : diff.extra_prefix.substr(0, diff.extra_prefix.size() - 1);
  if (diff.extra_prefix.empty() && !set.exact.empty()) {
    // The other direction: the class is a wrapper (DataParallel, a Lightning
    // module) around what was saved.
    const std::string& any = set.exact.begin()->first;
    size_t dot = any.find('.');
    if (dot != std::string::npos) {
      std::string first = any.substr(0, dot + 1);
      bool all_expected = std::all_of(set.exact.begin(), set.exact.end(),
                                      [&](const auto& kv) { return kv.first.rfind(first, 0) == 0; });
      size_t base = CountExplained(set, names);
      if (all_expected && base * 2 <= names.size()) {
        std::vector<std::string> prefixed;
        for (const std::string& n : names) prefixed.push_back(first + n);
        if (CountExplained(set, prefixed) * 10 >= prefixed.size() * 9) diff.missing_prefix = first;
      }
    }
  }

  // Keys as load_state_dict would compare them once the prefix is fixed.
  std::unordered_map<std::string, const TensorInfo*> present;
  std::vector<std::pair<std::string, const TensorInfo*>> ordered;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo* t = tensors[i];
    std::string k = names[i];
    if (!diff.extra_prefix.empty() && k.rfind(diff.extra_prefix, 0) == 0) k = k.substr(diff.extra_prefix.size());
    if (!diff.missing_prefix.empty()) k = diff.missing_prefix + k;
    present.emplace(k, t);
    ordered.emplace_back(k, t);
  }

  // Repeated blocks: each `A.*.rest` pattern (one whole `*` component) is
  // instantiated for every instance `A.i.` the file holds, and checked like
  // an exact key. Patterns with a `*` inside a component are only matched.
  std::vector<const PredictedKey*> checked;
  for (const PredictedKey& k : expected.keys) {
    if (!k.persistent || k.optional) continue;
    if (!k.is_pattern) {
      checked.push_back(&k);
      continue;
    }
    size_t star = k.key.find(".*.");
    bool leading = k.key.rfind("*.", 0) == 0;
    if (star == std::string::npos && !leading) continue;
    std::string head = leading ? "" : k.key.substr(0, star + 1);  // "h."
    size_t rest_at = leading ? 2 : star + 3;
    std::string rest = k.key.substr(rest_at);                      // "attn.bias"
    if (rest.find('*') != std::string::npos) continue;
    std::set<std::string> instances;
    for (const auto& [name, t] : ordered) {
      if (name.size() <= head.size() || name.compare(0, head.size(), head) != 0) continue;
      size_t dot = name.find('.', head.size());
      if (dot == std::string::npos || dot == head.size()) continue;
      std::string instance = name.substr(head.size(), dot - head.size());
      // The instance must fit the pattern's context: its other keys match
      // some pattern under the same head (a sibling block, not another list).
      instances.insert(instance);
    }
    // An instance counts when the file holds some key of this block there,
    // by any pattern of the same head.
    for (const std::string& instance : instances) {
      std::string concrete = head + instance + "." + rest;
      bool block_present = false;
      for (const PredictedKey& sibling : expected.keys) {
        if (!sibling.is_pattern || !sibling.persistent || sibling.key.compare(0, head.size() + 2, head + "*.") != 0) {
          continue;
        }
        std::string sibling_key = head + instance + "." + sibling.key.substr(head.size() + 2);
        if (present.count(sibling_key)) {
          block_present = true;
          break;
        }
      }
      if (!block_present || set.exact.count(concrete)) continue;
      auto owned = std::make_unique<PredictedKey>(k);
      owned->key = concrete;
      owned->is_pattern = false;
      checked.push_back(owned.get());
      diff.instantiated.push_back(std::move(owned));
    }
  }
  std::vector<const PredictedKey*> missing;
  std::unordered_set<std::string> filled_by_torch;  // predicted keys torch fills when absent
  for (const PredictedKey* kp : checked) {
    const PredictedKey& k = *kp;
    auto it = present.find(k.key);
    if (it != present.end()) {
      ++diff.matched;
      std::vector<size_t> differ;
      if (!ShapesCompatible(k.shape, it->second->shape, &differ)) {
        ShapeMismatch m;
        m.expected = &k;
        m.actual = it->second;
        m.dims = differ;
        std::set<std::string> args;
        for (size_t d : differ) {
          if (d < k.shape.dims.size()) args.insert(k.shape.dims[d].args.begin(), k.shape.dims[d].args.end());
        }
        m.driving_args.assign(args.begin(), args.end());
        diff.mismatches.push_back(std::move(m));
      }
      continue;
    }
    // BatchNorm's own leniency: with no _metadata version >= 2 for the module,
    // _load_from_state_dict fills num_batches_tracked itself.
    const std::string suffix = "num_batches_tracked";
    if (k.key.size() >= suffix.size() && k.key.compare(k.key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string module_path = k.key.size() > suffix.size() ? k.key.substr(0, k.key.size() - suffix.size() - 1) : "";
      std::string file_path = meta_prefix.empty() ? module_path
                              : (module_path.empty() ? meta_prefix : meta_prefix + "." + module_path);
      bool found = false;
      int64_t v = MetadataVersion(cp, file_path, &found);
      if (!found || v < 2) {
        filled_by_torch.insert(k.key);
        continue;
      }
    }
    missing.push_back(&k);
  }
  // With no constructor argument known (a binding by structure or by a whole
  // pickled module), a parameter that defaults to None may have been given a
  // module (`self.aux = aux`): keys under its name are not unexpected.
  std::set<std::string> maybe_given;
  if (std::none_of(expected.params.begin(), expected.params.end(),
                   [](const ConstructorParam& p) { return p.given; })) {
    for (const ConstructorParam& p : expected.params) {
      if (p.default_text != "None") continue;
      std::string prefix = p.name + ".";
      bool registered = std::any_of(expected.keys.begin(), expected.keys.end(), [&](const PredictedKey& k) {
        return k.key.rfind(prefix, 0) == 0;
      });
      if (!registered) maybe_given.insert(prefix);
    }
  }
  auto under_unknown_param = [&](const std::string& k) {
    size_t dot = k.find('.');
    return dot != std::string::npos && maybe_given.count(k.substr(0, dot + 1)) > 0;
  };
  std::vector<std::pair<std::string, const TensorInfo*>> unexpected;
  for (const auto& [k, t] : ordered) {
    if (!set.Explains(k) && !under_unknown_param(k)) unexpected.emplace_back(k, t);
  }

  // Renamed subtrees: a missing `A.rest` and an unexpected `B.rest` with the
  // same shape, grouped by (A, B). The longest shared suffix decides.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<const PredictedKey*, size_t>>> groups;
  std::unordered_map<std::string, std::vector<size_t>> by_suffix;  // suffix -> unexpected indices
  for (size_t i = 0; i < unexpected.size(); ++i) {
    const std::string& k = unexpected[i].first;
    for (size_t p = k.find('.'); p != std::string::npos; p = k.find('.', p + 1)) {
      by_suffix[k.substr(p + 1)].push_back(i);
    }
  }
  std::unordered_set<size_t> used_unexpected;
  std::unordered_set<const PredictedKey*> used_missing;
  for (const PredictedKey* m : missing) {
    const std::string& k = m->key;
    for (size_t p = k.find('.'); p != std::string::npos; p = k.find('.', p + 1)) {
      auto it = by_suffix.find(k.substr(p + 1));
      if (it == by_suffix.end()) continue;
      for (size_t ui : it->second) {
        const std::string& u = unexpected[ui].first;
        std::string a = k.substr(0, p + 1);
        std::string b = u.substr(0, u.size() - (k.size() - p - 1));
        if (a == b) continue;
        std::vector<size_t> differ;
        if (!ShapesCompatible(m->shape, unexpected[ui].second->shape, &differ)) continue;
        groups[{b, a}].push_back({m, ui});
      }
      break;  // longest suffix only
    }
  }
  // Largest groups first; each key used once.
  std::vector<std::pair<std::pair<std::string, std::string>, std::vector<std::pair<const PredictedKey*, size_t>>>>
      sorted(groups.begin(), groups.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& x, const auto& y) { return x.second.size() > y.second.size(); });
  // How many missing keys each code prefix has, and unexpected keys each file
  // prefix has: a rename must explain most of both sides, or it is a resize
  // that happens to share a key or two (those stay missing/unexpected).
  auto count_prefix = [](const auto& keys, const std::string& prefix, auto key_of) {
    size_t n = 0;
    for (const auto& k : keys) n += key_of(k).rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  };
  for (auto& [prefixes, pairs] : sorted) {
    size_t code_side = count_prefix(missing, prefixes.second, [](const PredictedKey* k) { return k->key; });
    size_t file_side = count_prefix(unexpected, prefixes.first, [](const auto& u) { return u.first; });
    if (pairs.size() * 2 <= std::max(code_side, file_side)) continue;
    RenamedSubtree r;
    r.checkpoint_prefix = prefixes.first;
    r.code_prefix = prefixes.second;
    for (const auto& [m, ui] : pairs) {
      if (used_missing.count(m) || used_unexpected.count(ui)) continue;
      used_missing.insert(m);
      used_unexpected.insert(ui);
      r.keys.push_back(m->key.substr(r.code_prefix.size()));
      if (r.anchor == nullptr) r.anchor = m;
    }
    if (r.keys.empty()) continue;
    for (size_t i = 0; i < unexpected.size(); ++i) {
      const std::string& u = unexpected[i].first;
      if (used_unexpected.count(i) || u.rfind(r.checkpoint_prefix, 0) != 0) continue;
      std::string suffix = u.substr(r.checkpoint_prefix.size());
      if (!filled_by_torch.count(r.code_prefix + suffix)) continue;
      used_unexpected.insert(i);
      r.filled_by_torch.push_back(std::move(suffix));
    }
    diff.renames.push_back(std::move(r));
  }
  for (const PredictedKey* m : missing) {
    if (!used_missing.count(m)) diff.missing.push_back(m);
  }
  for (size_t i = 0; i < unexpected.size(); ++i) {
    if (!used_unexpected.count(i)) diff.unexpected.push_back(unexpected[i].second);
  }
  return diff;
}

}  // namespace ptlint
