// PTL303 weights-only-rejects: see ptl303_weights_only_rejects.md.
#ifndef PTLINT_RULES_LOADING_PTL303_WEIGHTS_ONLY_REJECTS_H_
#define PTLINT_RULES_LOADING_PTL303_WEIGHTS_ONLY_REJECTS_H_

#include "rules/core/rule.h"

namespace ptlint {

class WeightsOnlyRejectsRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_LOADING_PTL303_WEIGHTS_ONLY_REJECTS_H_
