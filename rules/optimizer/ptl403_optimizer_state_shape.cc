#include "rules/optimizer/ptl403_optimizer_state_shape.h"

#include <unordered_map>

#include "analyzer/analysis/optimizer_state.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& OptimizerStateShapeRule::info() const {
  static const RuleInfo kInfo{"PTL403", "optimizer-state-shape", Severity::kError,
                              "A saved optimizer state tensor does not match its parameter's shape"};
  return kInfo;
}

namespace {

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + (s[i] < 0 ? std::string("?") : std::to_string(s[i]));
  return t + "]";
}

bool Mismatch(const std::vector<int64_t>& state, const ModelParameter& p) {
  if (!p.rank_known) return false;
  if (state.size() != p.shape.size()) return true;
  for (size_t i = 0; i < state.size(); ++i) {
    if (p.shape[i] >= 0 && p.shape[i] != state[i]) return true;
  }
  return false;
}

bool Concrete(const ModelParameter& p) {
  if (!p.rank_known) return false;
  for (int64_t d : p.shape) {
    if (d < 0) return false;
  }
  return true;
}

}  // namespace

void OptimizerStateShapeRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  std::unordered_map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : ctx.checkpoint.tensors) by_name.emplace(t.name, &t);
  for (const OptimizerUse& use : OptimizerUses(ctx.project.call_sites, ctx.analyzed.optimizer_sites, ctx.analyzed.checkpoint)) {
    const OptimizerInfo& saved = *use.saved;
    std::optional<ModelParameters> model = ModelParametersFor(
        ctx.project.has_source ? &ctx.project.index : nullptr,
        ctx.analyzed.expected && ctx.analyzed.binding.construction_known ? &*ctx.analyzed.expected : nullptr,
        ctx.analyzed.checkpoint, use.construction);
    if (!model) continue;
    // Current parameters in the order load_state_dict pairs them with the
    // saved ids: group by group, each in registration order.
    std::vector<const ModelParameter*> current;
    if (auto groups = ConstructionGroups(*model, use.construction)) {
      if (groups->size() != saved.groups.size()) continue;
      for (size_t i = 0; i < groups->size(); ++i) {
        if ((*groups)[i].size() != saved.groups[i].params.size()) continue;
        current.insert(current.end(), (*groups)[i].begin(), (*groups)[i].end());
      }
    } else if (saved.groups.size() == 1) {
      for (const ModelParameter& p : model->params) current.push_back(&p);
    } else {
      continue;  // several saved groups, grouping not known: the pairing is not known
    }
    std::vector<int64_t> ids;
    for (const OptimizerGroup& g : saved.groups) ids.insert(ids.end(), g.params.begin(), g.params.end());
    if (ids.size() != current.size()) continue;  // PTL401: load_state_dict raises first

    std::string stepping = use.construction != nullptr ? OptimizerShortName(use.construction->optimizer_class)
                                                       : ClassifySavedOptimizer(saved).family;
    for (size_t k = 0; k < ids.size(); ++k) {
      auto it = saved.state_tensors.find(ids[k]);
      if (it == saved.state_tensors.end()) continue;
      const ModelParameter& param = *current[k];
      const TensorInfo* first = nullptr;
      std::vector<std::string> keys;
      for (const std::string& name : it->second) {
        std::string key = StateKeyOfTensor(name);
        if (key == "step" || key == "mu" || key == "eta" || key == "mu_product") continue;
        auto t = by_name.find(name);
        if (t == by_name.end() || !Mismatch(t->second->shape, param)) continue;
        if (first == nullptr) first = t->second;
        keys.push_back(key);
      }
      if (first == nullptr) continue;
      Diagnostic d = CheckpointDiagnostic(info(), ctx);
      d.message = "optimizer state for parameter " + std::to_string(k) + " (`" + param.key + "`) in " +
                  ctx.display_path + (saved.path.empty() ? "" : " " + saved.path) + " has " + QuotedList(keys) +
                  " of shape " + ShapeText(first->shape) + ", but " +
                  (model->predicted ? ShortClassName(model->class_name) + " builds `" : "the model's `") + param.key +
                  "` as " + ShapeText(param.shape) + "; load_state_dict() accepts it and step() fails";
      if (Concrete(param)) d.torch_error = StepShapeError(first->shape, param.shape, stepping == "Rprop");
      d.fix = "Resume with the model configuration the optimizer state was saved with, or build a fresh "
              "optimizer (or drop this parameter's entry from state_dict['state']) when the shape changed on "
              "purpose.";
      d.byte_offset = static_cast<int64_t>(first->offset);
      if (param.location.line > 0) {
        d.location = RangeAt(param.location);
        d.related.push_back({CheckpointRange(ctx), "the saved state tensor " + first->name});
        if (use.load != nullptr) d.related.push_back({CallRange(*use.load), "the optimizer state is loaded here"});
      } else {
        d.location = CallRange(use.construction != nullptr ? *use.construction : *use.load);
        d.related.push_back({CheckpointRange(ctx), "the saved state tensor " + first->name});
      }
      out.push_back(std::move(d));
    }
  }
}

}  // namespace ptlint
