// PTL204 renamed-attribute: see ptl204_renamed_attribute.md.
#ifndef PTLINT_RULES_DRIFT_PTL204_RENAMED_ATTRIBUTE_H_
#define PTLINT_RULES_DRIFT_PTL204_RENAMED_ATTRIBUTE_H_

#include "rules/core/rule.h"

namespace ptlint {

class RenamedAttributeRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL204_RENAMED_ATTRIBUTE_H_
