#include "rules/optimizer/ptl402_optimizer_kind.h"

#include "analyzer/analysis/optimizer_state.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& OptimizerKindRule::info() const {
  static const RuleInfo kInfo{"PTL402", "optimizer-kind", Severity::kWarning,
                              "The saved optimizer state was made by another optimizer than the code constructs"};
  return kInfo;
}

void OptimizerKindRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  for (const OptimizerUse& use : OptimizerUses(ctx.project.call_sites, ctx.analyzed.optimizer_sites, ctx.analyzed.checkpoint)) {
    if (use.construction == nullptr) continue;
    const std::string code_class = OptimizerShortName(use.construction->optimizer_class);
    const std::string code_family = FamilyOfOptimizerClass(code_class);
    if (code_family.empty()) continue;
    SavedOptimizerFamily saved = ClassifySavedOptimizer(*use.saved);
    if (saved.family.empty() || SameOptimizerFamily(code_family, saved.family)) continue;

    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    std::string evidence;
    if (!saved.state_evidence.empty()) evidence += "state " + QuotedList(saved.state_evidence);
    if (!saved.group_evidence.empty()) {
      evidence += (evidence.empty() ? "" : "; ") + std::string("param_group ") + QuotedList(saved.group_evidence);
    }
    d.message = "`" + use.construction->call_text.substr(0, use.construction->call_text.find('(')) +
                "(...)` loads an optimizer state saved by " + saved.family + " (" + evidence + ") from " +
                ctx.display_path + (use.saved->path.empty() ? "" : " " + use.saved->path);
    bool empty_state = use.saved->state_tensors.empty() && use.saved->state_keys.empty();
    KindOutcome outcome = empty_state ? KindOutcome{} : Torch113KindOutcome(code_class, saved.family);
    if (!outcome.error.empty()) {
      d.severity = Severity::kError;
      d.torch_error = outcome.error;
      d.message += outcome.stage == "step" ? "; torch 1.13 raises at the first `step()`"
                                           : "; torch 1.13 raises in `load_state_dict()`";
    } else {
      d.message += "; it loads without an error, and the saved hyperparameters and moment buffers of " +
                   saved.family + " replace " + code_class + "'s";
    }
    d.fix = "Construct the optimizer the state was saved with (" + saved.family +
            "), or do not load the old optimizer state when the optimizer changed on purpose "
            "(load_state_dict also replaces the code's lr, betas/momentum and weight decay with the saved ones).";
    d.location = CallRange(*use.construction);
    d.related.push_back({CallRange(*use.load), "the optimizer state is loaded here"});
    d.related.push_back({CheckpointRange(ctx), "the saved optimizer state"});
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
