#include "rules/security/ptl603_unknown_global.h"

#include "rules/security/security_rule.h"

namespace ptlint {

const RuleInfo& UnknownGlobalRule::info() const {
  static const RuleInfo kInfo{"PTL603", "unknown-global", Severity::kWarning, "A pickled global is outside every allowlist"};
  return kInfo;
}

void UnknownGlobalRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  ReportSafetyFindings(*this, ctx, out);
}

}  // namespace ptlint
