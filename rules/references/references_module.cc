// PTL1xx: the globals a checkpoint pickles, checked against the source that must provide them.
#include "rules/references/references_module.h"

#include "rules/references/ptl101_unresolved_module.h"
#include "rules/references/ptl102_missing_class.h"
#include "rules/references/ptl103_main_module_global.h"
#include "rules/references/ptl104_pickled_attribute_drift.h"

namespace ptlint {

std::vector<const Rule*> ReferenceRules() {
  static const UnresolvedModuleRule ptl101;
  static const MissingClassRule ptl102;
  static const MainModuleGlobalRule ptl103;
  static const PickledAttributeDriftRule ptl104;
  return {&ptl101, &ptl102, &ptl103, &ptl104};
}

}  // namespace ptlint
