#include "rules/ptl202_unexpected_keys.h"

#include <map>

#include "rules/rule_util.h"

namespace ptlint {

const RuleInfo& UnexpectedKeysRule::info() const {
  static const RuleInfo kInfo{"PTL202", "unexpected-keys", Severity::kError,
                              "The checkpoint holds keys the code no longer registers"};
  return kInfo;
}

void UnexpectedKeysRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr || ctx.diff->unexpected.empty()) return;
  const std::string cls = ctx.analyzed.binding.cls;
  const CallSite* site = BindingCallSite(ctx);
  bool lenient = site != nullptr && site->strict_false;
  std::vector<std::string> all;
  for (const TensorInfo* t : ctx.diff->unexpected) all.push_back(t->name);
  // One finding per top-level subtree of the file ("head.*", "pos_embed").
  std::map<std::string, std::vector<std::string>> groups;
  std::vector<std::string> order;
  for (const std::string& k : all) {
    std::string top = k.substr(0, k.find('.'));
    if (!groups.count(top)) order.push_back(top);
    groups[top].push_back(k);
  }
  for (const std::string& top : order) {
    const auto& keys = groups[top];
    Diagnostic d = NewDiagnostic(*this, ctx);
    d.message = ctx.display_path + " holds " + QuotedList(keys) + ", which " + ShortClassName(cls) +
                " no longer registers";
    if (lenient) {
      d.severity = Severity::kWarning;
      d.message += "; load_state_dict(strict=False) drops them silently";
    } else {
      d.torch_error = TorchLoadStateDictError(ShortClassName(cls), {}, all, {});
    }
    d.fix = "If the layer was removed on purpose, drop the keys before loading "
            "(`sd = {k: v for k, v in sd.items() if not k.startswith(\"" + top + ".\")}`) or load with "
            "strict=False; if it was renamed, restore the old attribute name or rename the keys.";
    d.location = BoundClassRange(ctx);
    d.related.push_back({CheckpointRange(ctx), "the checkpoint with the extra keys"});
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
