// PTL203 shape-mismatch: see ptl203_shape_mismatch.md.
#ifndef PTLINT_RULES_DRIFT_PTL203_SHAPE_MISMATCH_H_
#define PTLINT_RULES_DRIFT_PTL203_SHAPE_MISMATCH_H_

#include "rules/core/rule.h"

namespace ptlint {

class ShapeMismatchRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL203_SHAPE_MISMATCH_H_
