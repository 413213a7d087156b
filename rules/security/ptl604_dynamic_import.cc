#include "rules/security/ptl604_dynamic_import.h"

#include "rules/security/security_rule.h"

namespace ptlint {

const RuleInfo& DynamicImportRule::info() const {
  static const RuleInfo kInfo{"PTL604", "dynamic-import", Severity::kError, "The pickle imports dynamically or reads differently to a real unpickler than to a scanner"};
  return kInfo;
}

void DynamicImportRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  ReportSafetyFindings(*this, ctx, out);
}

}  // namespace ptlint
