#include "rules/drift/ptl201_missing_keys.h"

#include <map>

#include "rules/core/rule_util.h"

namespace ptlint {

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
  // One finding per registration site: the line a reviewer would change.
  std::map<std::pair<std::string, uint32_t>, std::vector<const PredictedKey*>> by_site;
  for (const PredictedKey* k : ctx.diff->missing) by_site[{k->location.path, k->location.line}].push_back(k);
  for (const auto& [where, keys] : by_site) {
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    std::vector<std::string> names;
    for (const PredictedKey* k : keys) names.push_back(k->key);
    const PredictedKey* first = keys.front();
    // Built-in layers register their own weights; the user's line is what matters.
    bool builtin_owner = first->owner_class.empty() || first->owner_class.rfind("torch.", 0) == 0;
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
    if (where.second > 0) {
      d.location = RangeAt(first->location);
      d.related.push_back({CheckpointRange(ctx), "the checkpoint without these keys"});
    } else {
      d.location = BoundClassRange(ctx);
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
