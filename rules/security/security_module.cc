// PTL6xx: what unpickling the checkpoint would import and call.
#include "rules/security/security_module.h"

#include "rules/security/ptl601_code_execution_global.h"
#include "rules/security/ptl602_dangerous_global.h"
#include "rules/security/ptl603_unknown_global.h"
#include "rules/security/ptl604_dynamic_import.h"

namespace ptlint {

std::vector<const Rule*> SecurityRules() {
  static const CodeExecutionGlobalRule ptl601;
  static const DangerousGlobalRule ptl602;
  static const UnknownGlobalRule ptl603;
  static const DynamicImportRule ptl604;
  return {&ptl601, &ptl602, &ptl603, &ptl604};
}

}  // namespace ptlint
