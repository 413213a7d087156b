// PTL102 missing-class: the pickled global's module is in the sources but no
// longer defines the name ("Can't get attribute"). Suggests the renamed or
// moved candidates.
#ifndef PTLINT_RULES_REFERENCES_PTL102_MISSING_CLASS_H_
#define PTLINT_RULES_REFERENCES_PTL102_MISSING_CLASS_H_

#include "rules/core/rule.h"

namespace ptlint {

class MissingClassRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_REFERENCES_PTL102_MISSING_CLASS_H_
