#include "rules/security/ptl602_dangerous_global.h"

#include "rules/security/security_rule.h"

namespace ptlint {

const RuleInfo& DangerousGlobalRule::info() const {
  static const RuleInfo kInfo{"PTL602", "dangerous-global", Severity::kError, "A pickled global opens connections, touches files, or is a gadget for payloads"};
  return kInfo;
}

void DangerousGlobalRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  ReportSafetyFindings(*this, ctx, out);
}

}  // namespace ptlint
