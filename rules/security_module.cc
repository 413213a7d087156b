// PTL6xx pickle safety, and PTL303 weights-only (it shares the classification).
#include "rules/modules.h"
#include "rules/ptl303_weights_only_rejects.h"
#include "rules/ptl601_code_execution_global.h"
#include "rules/ptl602_dangerous_global.h"
#include "rules/ptl603_unknown_global.h"
#include "rules/ptl604_dynamic_import.h"

namespace ptlint {

std::vector<const Rule*> SecurityRules() {
  static const WeightsOnlyRejectsRule ptl303;
  static const CodeExecutionGlobalRule ptl601;
  static const DangerousGlobalRule ptl602;
  static const UnknownGlobalRule ptl603;
  static const DynamicImportRule ptl604;
  return {&ptl303, &ptl601, &ptl602, &ptl603, &ptl604};
}

}  // namespace ptlint
