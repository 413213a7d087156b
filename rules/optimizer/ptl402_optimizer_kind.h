// PTL402 optimizer-kind: see ptl402_optimizer_kind.md.
#ifndef PTLINT_RULES_OPTIMIZER_PTL402_OPTIMIZER_KIND_H_
#define PTLINT_RULES_OPTIMIZER_PTL402_OPTIMIZER_KIND_H_

#include "rules/core/rule.h"

namespace ptlint {

class OptimizerKindRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_OPTIMIZER_PTL402_OPTIMIZER_KIND_H_
