#include "rules/drift/ptl206_wrapper_dict.h"

#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& WrapperDictRule::info() const {
  static const RuleInfo kInfo{"PTL206", "wrapper-dict", Severity::kError,
                              "A dict that holds the state dict is passed whole to load_state_dict"};
  return kInfo;
}

void WrapperDictRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  if (cp.layout != Layout::kWrapperDict && cp.layout != Layout::kLightning) return;
  for (int s : ctx.analyzed.state_dict_sites) {
    const CallSite& site = ctx.project.call_sites[static_cast<size_t>(s)];
    if (!site.keys.empty()) continue;  // ckpt["model_state_dict"] was passed: fine
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    std::string cls = site.receiver_class.empty() ? site.receiver : ShortClassName(site.receiver_class);
    std::string where = cp.state_dict_path.empty() ? "['state_dict']" : cp.state_dict_path;
    d.message = site.receiver + ".load_state_dict(...) receives the whole checkpoint dict of " +
                ctx.display_path + " (keys " + QuotedList(cp.top_level_keys, 5) + "); the state dict is at " + where;
    std::vector<std::string> expected;
    if (ctx.analyzed.expected) {
      for (const PredictedKey& k : ctx.analyzed.expected->keys) {
        if (k.persistent && !k.is_pattern && !k.optional) expected.push_back(k.key);
      }
    }
    d.torch_error = TorchLoadStateDictError(cls, expected, cp.top_level_keys, {});
    std::string load = site.argument_text.empty() ? "checkpoint" : site.argument_text;
    d.fix = "Pass the state dict inside it: `" + site.receiver + ".load_state_dict(" + load + where + ")`.";
    d.location = CallRange(site);
    d.related.push_back({CheckpointRange(ctx), "the checkpoint is a " + std::string(LayoutName(cp.layout))});
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
