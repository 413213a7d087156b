#include "rules/security/ptl601_code_execution_global.h"

#include "rules/security/security_rule.h"

namespace ptlint {

const RuleInfo& CodeExecutionGlobalRule::info() const {
  static const RuleInfo kInfo{"PTL601", "code-execution-global", Severity::kError, "A pickled global can run code or commands when the checkpoint is loaded"};
  return kInfo;
}

void CodeExecutionGlobalRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  ReportSafetyFindings(*this, ctx, out);
}

}  // namespace ptlint
