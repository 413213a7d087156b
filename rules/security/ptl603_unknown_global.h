// PTL603 unknown-global: see ptl603_unknown_global.md.
#ifndef PTLINT_RULES_SECURITY_PTL603_UNKNOWN_GLOBAL_H_
#define PTLINT_RULES_SECURITY_PTL603_UNKNOWN_GLOBAL_H_

#include "rules/core/rule.h"

namespace ptlint {

class UnknownGlobalRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_PTL603_UNKNOWN_GLOBAL_H_
