// PTL202 unexpected-keys: see ptl202_unexpected_keys.md.
#ifndef PTLINT_RULES_DRIFT_PTL202_UNEXPECTED_KEYS_H_
#define PTLINT_RULES_DRIFT_PTL202_UNEXPECTED_KEYS_H_

#include "rules/core/rule.h"

namespace ptlint {

class UnexpectedKeysRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL202_UNEXPECTED_KEYS_H_
