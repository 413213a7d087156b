#include "rules/optimizer/ptl401_optimizer_param_count.h"

#include "analyzer/analysis/optimizer_state.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& OptimizerParamCountRule::info() const {
  static const RuleInfo kInfo{"PTL401", "optimizer-param-count", Severity::kError,
                              "An optimizer parameter group holds another number of parameters than the model"};
  return kInfo;
}

namespace {

constexpr const char* kGroupCountError = "ValueError: loaded state dict has a different number of parameter groups";
constexpr const char* kGroupSizeError =
    "ValueError: loaded state dict contains a parameter group that doesn't match the size of optimizer's group";

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Where(const OptimizerInfo& saved) { return saved.path.empty() ? "" : " (at " + saved.path + ")"; }

void Place(Diagnostic& d, const CheckpointContext& ctx, const OptimizerUse& use) {
  if (use.construction != nullptr) {
    d.location = CallRange(*use.construction);
    d.related.push_back({CallRange(*use.load), "the optimizer state is loaded here"});
  } else {
    d.location = CallRange(*use.load);
  }
  d.related.push_back({CheckpointRange(ctx), "the saved optimizer state"});
}

std::string Construction(const OptimizerUse& use) {
  if (use.construction == nullptr) return "the optimizer";
  return "`" + OptimizerShortName(use.construction->optimizer_class) + "(...)`";
}

std::vector<std::string> Calls(const std::vector<std::string>& sources) {
  std::vector<std::string> calls;
  for (const std::string& s : sources) calls.push_back(s + ".parameters()");
  return calls;
}

constexpr const char* kFix =
    "Resume with the model the optimizer state was saved with; if the parameter set changed on purpose "
    "(a new head, unfrozen layers), build a fresh optimizer instead of loading the old state, or remap the "
    "state by parameter name before loading.";

}  // namespace

void OptimizerParamCountRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  for (const OptimizerUse& use : OptimizerUses(ctx.project.call_sites, ctx.analyzed.optimizer_sites, ctx.analyzed.checkpoint)) {
    const OptimizerInfo& saved = *use.saved;
    if (saved.groups.empty()) continue;
    std::optional<ModelParameters> model = ModelParametersFor(
        ctx.project.has_source ? &ctx.project.index : nullptr,
        ctx.analyzed.expected && ctx.analyzed.binding.construction_known ? &*ctx.analyzed.expected : nullptr,
        ctx.analyzed.checkpoint, use.construction);
    if (!model) continue;
    auto groups = ConstructionGroups(*model, use.construction);
    if (groups) {
      if (groups->size() != saved.groups.size()) {
        Diagnostic d = CheckpointDiagnostic(info(), ctx);
        d.message = "the optimizer state in " + ctx.display_path + Where(saved) + " has " +
                    Plural(saved.groups.size(), "parameter group", "parameter groups") + "; " + Construction(use) +
                    " builds " + std::to_string(groups->size()) + " (" + QuotedList(Calls(use.construction->group_sources)) +
                    ")";
        d.torch_error = kGroupCountError;
        d.fix = kFix;
        Place(d, ctx, use);
        out.push_back(std::move(d));
        continue;
      }
      for (size_t i = 0; i < groups->size(); ++i) {
        size_t have = saved.groups[i].params.size(), want = (*groups)[i].size();
        if (have == want) continue;
        Diagnostic d = CheckpointDiagnostic(info(), ctx);
        d.message = "parameter group " + std::to_string(i) + " of the optimizer state in " + ctx.display_path +
                    Where(saved) + " holds " + Plural(have, "parameter", "parameters") + "; `" +
                    use.construction->group_sources[i] + ".parameters()` gives " + std::to_string(want) +
                    " (counted from " + model->from + ")";
        d.torch_error = kGroupSizeError;
        d.fix = kFix;
        Place(d, ctx, use);
        out.push_back(std::move(d));
      }
      continue;
    }
    // The grouping is not statically known: compare totals.
    size_t have = 0;
    for (const OptimizerGroup& g : saved.groups) have += g.params.size();
    size_t want = model->params.size();
    if (have == want) continue;
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    bool whole_model = use.construction != nullptr && use.construction->group_sources.size() == 1 &&
                       !use.construction->group_sources[0].empty();
    d.message = "the optimizer state in " + ctx.display_path + Where(saved) + " holds " +
                Plural(have, "parameter", "parameters") +
                (saved.groups.size() > 1 ? " in " + std::to_string(saved.groups.size()) + " groups" : "") +
                "; the model has " + std::to_string(want) + " trainable (counted from " + model->from;
    if (model->buffers_skipped > 0) {
      d.message += ", not counting " + Plural(model->buffers_skipped, "buffer", "buffers");
    }
    d.message += ")";
    if (!whole_model) d.message += "; the code's parameter grouping is not statically known, so totals are compared";
    // With one group on both sides the size check fails; otherwise either check may.
    if (saved.groups.size() == 1 && (whole_model || use.construction == nullptr)) d.torch_error = kGroupSizeError;
    // Fewer saved parameters than the model has can be intended (an optimizer
    // over the trainable subset) unless the code passes the whole model.
    if (have < want && !whole_model) d.severity = Severity::kWarning;
    d.fix = kFix;
    Place(d, ctx, use);
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
