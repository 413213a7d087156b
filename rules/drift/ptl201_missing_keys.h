// PTL201 missing-keys: see ptl201_missing_keys.md.
#ifndef PTLINT_RULES_DRIFT_PTL201_MISSING_KEYS_H_
#define PTLINT_RULES_DRIFT_PTL201_MISSING_KEYS_H_

#include "rules/core/rule.h"

namespace ptlint {

class MissingKeysRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL201_MISSING_KEYS_H_
