// PTL205 wrapper-prefix: see ptl205_wrapper_prefix.md.
#ifndef PTLINT_RULES_DRIFT_PTL205_WRAPPER_PREFIX_H_
#define PTLINT_RULES_DRIFT_PTL205_WRAPPER_PREFIX_H_

#include "rules/core/rule.h"

namespace ptlint {

class WrapperPrefixRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL205_WRAPPER_PREFIX_H_
