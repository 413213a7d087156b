// PTL403 optimizer-state-shape: see ptl403_optimizer_state_shape.md.
#ifndef PTLINT_RULES_OPTIMIZER_PTL403_OPTIMIZER_STATE_SHAPE_H_
#define PTLINT_RULES_OPTIMIZER_PTL403_OPTIMIZER_STATE_SHAPE_H_

#include "rules/core/rule.h"

namespace ptlint {

class OptimizerStateShapeRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_OPTIMIZER_PTL403_OPTIMIZER_STATE_SHAPE_H_
