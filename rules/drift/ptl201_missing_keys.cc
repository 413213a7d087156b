#include "rules/drift/ptl201_missing_keys.h"

#include <map>
#include <set>

#include "rules/core/rule_util.h"

namespace ptlint {

namespace {

bool IsIndex(const std::string& segment) {
  return !segment.empty() && segment.size() < 10 && segment.find_first_not_of("0123456789") == std::string::npos;
}

// A missing key that belongs to a whole element the checkpoint lacks
// (`h.2.attn.c_attn.weight` when the file holds `h.0.*` and `h.1.*` but
// nothing under `h.2.`): the element's path, else "". Such keys are one
// finding on the line that builds the element: the count changed, not the
// element's own layers.
std::string MissingElement(const std::string& key, const std::set<std::string>& file_prefixes) {
  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    size_t next = key.find('.', dot + 1);
    if (next == std::string::npos) break;
    std::string index = key.substr(dot + 1, next - dot - 1);
    if (!IsIndex(index)) continue;
    std::string container = key.substr(0, dot + 1);
    std::string element = key.substr(0, next + 1);
    if (file_prefixes.count(container) && !file_prefixes.count(element)) return element.substr(0, element.size() - 1);
  }
  return "";
}

}  // namespace

const RuleInfo& MissingKeysRule::info() const {
  static const RuleInfo kInfo{"PTL201", "missing-keys", Severity::kError,
                              "The code registers parameters or buffers the checkpoint does not have"};
  return kInfo;
}

void MissingKeysRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr || ctx.diff->missing.empty()) return;
  const std::string cls = ctx.analyzed.binding.cls;
  const CallSite* site = BindingCallSite(ctx);
  bool lenient = site != nullptr && site->strict_false;
  std::vector<std::string> all;
  for (const PredictedKey* k : ctx.diff->missing) all.push_back(k->key);
  // Every module prefix the file holds keys under, in the class's names.
  std::set<std::string> file_prefixes;
  const Checkpoint& as_loaded = ctx.analyzed.as_loaded ? *ctx.analyzed.as_loaded : ctx.checkpoint;
  for (const TensorInfo* t : StateDictTensors(as_loaded)) {
    std::string k = t->name;
    if (!ctx.diff->extra_prefix.empty() && k.rfind(ctx.diff->extra_prefix, 0) == 0) {
      k = k.substr(ctx.diff->extra_prefix.size());
    }
    if (!ctx.diff->missing_prefix.empty()) k = ctx.diff->missing_prefix + k;
    for (size_t dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1)) {
      file_prefixes.insert(k.substr(0, dot + 1));
    }
  }
  // One finding per registration site: the line a reviewer would change.
  // Keys of whole elements the file lacks go on the line that builds them.
  std::map<std::pair<std::string, uint32_t>, std::vector<const PredictedKey*>> by_site;
  std::map<std::pair<std::string, uint32_t>, SourceLocation> element_site;
  for (const PredictedKey* k : ctx.diff->missing) {
    SourceLocation where = k->location;
    if (ctx.analyzed.expected) {
      std::string element = MissingElement(k->key, file_prefixes);
      const MetadataEntry* m = element.empty() ? nullptr : PredictedModuleAt(*ctx.analyzed.expected, element);
      if (m != nullptr && m->location.line > 0) {
        where = m->repeated_by.line > 0 ? m->repeated_by : m->location;
        element_site[{where.path, where.line}] = where;
      }
    }
    by_site[{where.path, where.line}].push_back(k);
  }
  for (const auto& [where, keys] : by_site) {
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    std::vector<std::string> names;
    for (const PredictedKey* k : keys) names.push_back(k->key);
    const PredictedKey* first = keys.front();
    // Built-in layers register their own weights; the user's line is what matters.
    auto element = element_site.find(where);
    bool builtin_owner = first->owner_class.empty() || first->owner_class.rfind("torch.", 0) == 0 ||
                         element != element_site.end();
    d.message = QuotedList(names) + (names.size() == 1 ? " is" : " are") + " registered by " +
                ShortClassName(builtin_owner ? cls : first->owner_class) +
                (!builtin_owner && !first->attribute.empty() ? " (`self." + first->attribute + "`)" : "") +
                " but missing from " + ctx.display_path;
    if (lenient) {
      d.severity = Severity::kWarning;
      d.message += "; load_state_dict(strict=False) leaves them at their random initial values";
    } else {
      d.torch_error = TorchLoadStateDictError(ShortClassName(cls), all, {}, {});
    }
    d.fix = "If the layer is new, initialise it and load with strict=False (size mismatches still "
            "raise); if it was renamed or the checkpoint comes from another configuration, re-export "
            "the checkpoint or construct the model the way it was trained.";
    if (element != element_site.end()) {
      d.location = RangeAt(element->second);
      d.message += " (the checkpoint holds fewer of the elements built here)";
      d.related.push_back({CheckpointRange(ctx), "the checkpoint without these keys"});
    } else if (where.second > 0) {
      d.location = RangeAt(first->location);
      d.related.push_back({CheckpointRange(ctx), "the checkpoint without these keys"});
    } else {
      d.location = BoundClassRange(ctx);
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
