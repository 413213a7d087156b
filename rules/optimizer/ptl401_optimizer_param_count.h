// PTL401 optimizer-param-count: see ptl401_optimizer_param_count.md.
#ifndef PTLINT_RULES_OPTIMIZER_PTL401_OPTIMIZER_PARAM_COUNT_H_
#define PTLINT_RULES_OPTIMIZER_PTL401_OPTIMIZER_PARAM_COUNT_H_

#include "rules/core/rule.h"

namespace ptlint {

class OptimizerParamCountRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_OPTIMIZER_PTL401_OPTIMIZER_PARAM_COUNT_H_
