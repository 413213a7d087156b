// PTL602 dangerous-global: see ptl602_dangerous_global.md.
#ifndef PTLINT_RULES_SECURITY_PTL602_DANGEROUS_GLOBAL_H_
#define PTLINT_RULES_SECURITY_PTL602_DANGEROUS_GLOBAL_H_

#include "rules/core/rule.h"

namespace ptlint {

class DangerousGlobalRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_PTL602_DANGEROUS_GLOBAL_H_
