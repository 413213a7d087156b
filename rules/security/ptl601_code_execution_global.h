// PTL601 code-execution-global: see ptl601_code_execution_global.md.
#ifndef PTLINT_RULES_SECURITY_PTL601_CODE_EXECUTION_GLOBAL_H_
#define PTLINT_RULES_SECURITY_PTL601_CODE_EXECUTION_GLOBAL_H_

#include "rules/core/rule.h"

namespace ptlint {

class CodeExecutionGlobalRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_PTL601_CODE_EXECUTION_GLOBAL_H_
