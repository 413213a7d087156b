#include "rules/core/finding_groups.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace ptlint {

bool SplitIndexedInstance(const std::string& instance, std::string* container, long* index) {
  size_t dot = instance.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= instance.size() || instance.size() - dot > 10) return false;
  for (size_t i = dot + 1; i < instance.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(instance[i]))) return false;
  }
  *container = instance.substr(0, dot);
  *index = std::stol(instance.substr(dot + 1));
  return true;
}

std::string IndexedPattern(const std::string& key, std::string* instance) {
  std::string pattern;
  instance->clear();
  size_t start = 0;
  while (start <= key.size()) {
    size_t dot = key.find('.', start);
    std::string segment = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool index = !segment.empty() && segment.size() < 10 &&
                 segment.find_first_not_of("0123456789") == std::string::npos;
    if (start > 0) pattern += '.';
    pattern += index ? "N" : segment;
    if (index) *instance = key.substr(0, dot == std::string::npos ? key.size() : dot);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return pattern;
}

namespace {

// Natural order: "layers.2" before "layers.10".
bool InstanceLess(const FindingInstance& a, const FindingInstance& b) {
  if (a.checkpoint != b.checkpoint) return a.checkpoint < b.checkpoint;
  std::string ca, cb;
  long ia = 0, ib = 0;
  if (SplitIndexedInstance(a.instance, &ca, &ia) && SplitIndexedInstance(b.instance, &cb, &ib) && ca == cb) {
    return ia < ib;
  }
  return a.instance < b.instance;
}

std::string Count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// "12 layers × 2 checkpoints", "24 instances (12 layers in 2 checkpoints)",
// "2 checkpoints".
std::string Summary(const std::vector<FindingInstance>& instances) {
  std::set<std::string> checkpoints, names, containers;
  for (const FindingInstance& i : instances) {
    checkpoints.insert(i.checkpoint);
    if (i.instance.empty()) continue;
    names.insert(i.instance);
    std::string container;
    long index = 0;
    containers.insert(SplitIndexedInstance(i.instance, &container, &index) ? container : i.instance);
  }
  std::string per_file;
  // One instance in every checkpoint ("features.0" in model.pt and last.pt):
  // the checkpoints are the count, not "1 feature".
  if (names.size() > 1) {
    const std::string& c = *containers.begin();
    // A plural noun from the container's name when it reads as one ("layers",
    // "blocks"); "instances of `h`" otherwise.
    bool plural_word = containers.size() == 1 && c.size() > 2 && c.back() == 's' &&
                       c.find('.') == std::string::npos;
    per_file = plural_word ? std::to_string(names.size()) + " " + (names.size() == 1 ? c.substr(0, c.size() - 1) : c)
               : containers.size() == 1 ? Count(names.size(), "instance") + " of `" + c + "`"
                                        : Count(names.size(), "instance");
  }
  if (checkpoints.size() <= 1) return per_file.empty() ? Count(instances.size(), "instance") : per_file;
  if (per_file.empty()) return Count(checkpoints.size(), "checkpoint");
  if (instances.size() == names.size() * checkpoints.size()) {
    return per_file + " × " + Count(checkpoints.size(), "checkpoint");
  }
  return Count(instances.size(), "instance") + ": " + per_file + " in " + Count(checkpoints.size(), "checkpoint");
}

bool SameRange(const SourceRange& a, const SourceRange& b) {
  return std::tie(a.path, a.line, a.column, a.end_line, a.end_column) ==
         std::tie(b.path, b.line, b.column, b.end_line, b.end_column);
}

}  // namespace

std::vector<Diagnostic> GroupFindingsByCause(std::vector<Diagnostic> diagnostics) {
  std::vector<Diagnostic> out;
  out.reserve(diagnostics.size());
  std::map<std::string, size_t> first_of_cause;  // cause -> index in `out`
  std::vector<size_t> members;                   // per `out` entry
  for (Diagnostic& d : diagnostics) {
    FindingInstance self{d.checkpoint, d.instance};
    auto it = d.cause.empty() ? first_of_cause.end() : first_of_cause.find(d.cause);
    if (it == first_of_cause.end()) {
      if (!d.cause.empty()) first_of_cause.emplace(d.cause, out.size());
      d.instances = {self};
      out.push_back(std::move(d));
      members.push_back(1);
      continue;
    }
    Diagnostic& group = out[it->second];
    ++members[it->second];
    group.instances.push_back(self);
    for (TextEdit& e : d.edits) {
      bool known = std::any_of(group.edits.begin(), group.edits.end(), [&](const TextEdit& g) {
        return SameRange(g.range, e.range) && g.new_text == e.new_text;
      });
      if (!known) group.edits.push_back(std::move(e));
    }
    for (RelatedLocation& r : d.related) {
      bool known = std::any_of(group.related.begin(), group.related.end(), [&](const RelatedLocation& g) {
        return SameRange(g.where, r.where) && g.message == r.message;
      });
      if (!known) group.related.push_back(std::move(r));
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    Diagnostic& d = out[i];
    if (members[i] < 2) {
      d.instances.clear();  // stands alone: as the rule wrote it
      continue;
    }
    std::sort(d.instances.begin(), d.instances.end(), InstanceLess);
    d.instances.erase(std::unique(d.instances.begin(), d.instances.end(),
                                  [](const FindingInstance& a, const FindingInstance& b) {
                                    return a.checkpoint == b.checkpoint && a.instance == b.instance;
                                  }),
                      d.instances.end());
    d.instances_summary = Summary(d.instances);
    if (!d.cause_message.empty()) d.message = d.cause_message;
    // The cause's words name its keys as a pattern (`features.N.weight`); with
    // one instance name in every checkpoint, name the real key instead.
    std::set<std::string> names;
    for (const FindingInstance& i : d.instances) names.insert(i.instance);
    if (names.size() == 1 && !names.begin()->empty()) {
      std::string unused;
      const std::string pattern = IndexedPattern(*names.begin(), &unused);
      for (size_t at = d.message.find(pattern); at != std::string::npos && pattern != *names.begin();
           at = d.message.find(pattern, at + names.begin()->size())) {
        d.message.replace(at, pattern.size(), *names.begin());
      }
    }
    d.message += " (" + d.instances_summary + ")";
  }
  return out;
}

std::string CompactInstances(const Diagnostic& d) {
  // Per checkpoint, its instances as "layers.0-11"; checkpoints with the same
  // instances share one entry.
  std::map<std::string, std::vector<const FindingInstance*>> by_checkpoint;
  for (const FindingInstance& i : d.instances) by_checkpoint[i.checkpoint].push_back(&i);
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;  // text -> checkpoints
  for (const auto& [checkpoint, list] : by_checkpoint) {
    std::string text;
    size_t k = 0;
    while (k < list.size()) {
      std::string container;
      long first = 0;
      if (list[k]->instance.empty()) {
        ++k;
        continue;
      }
      if (!text.empty()) text += ", ";
      if (!SplitIndexedInstance(list[k]->instance, &container, &first)) {
        text += list[k]->instance;
        ++k;
        continue;
      }
      long last = first;
      size_t j = k + 1;
      for (; j < list.size(); ++j) {
        std::string c;
        long idx = 0;
        if (!SplitIndexedInstance(list[j]->instance, &c, &idx) || c != container || idx != last + 1) break;
        last = idx;
      }
      text += container + "." + std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
      k = j;
    }
    auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == text; });
    if (same == entries.end()) {
      entries.push_back({text, {checkpoint}});
    } else {
      same->second.push_back(checkpoint);
    }
  }
  std::string out;
  for (const auto& [text, checkpoints] : entries) {
    if (!out.empty()) out += "; ";
    for (size_t c = 0; c < checkpoints.size(); ++c) out += (c ? ", " : "") + checkpoints[c];
    if (!text.empty()) out += ": " + text;
  }
  return out;
}

}  // namespace ptlint
