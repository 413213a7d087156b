// PTL604 dynamic-import: see ptl604_dynamic_import.md.
#ifndef PTLINT_RULES_SECURITY_PTL604_DYNAMIC_IMPORT_H_
#define PTLINT_RULES_SECURITY_PTL604_DYNAMIC_IMPORT_H_

#include "rules/core/rule.h"

namespace ptlint {

class DynamicImportRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_PTL604_DYNAMIC_IMPORT_H_
