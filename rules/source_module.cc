// PTL1xx pickled globals vs source, PTL3xx loading strategy, PTL7xx source hygiene.
#include "rules/modules.h"
#include "rules/ptl101_unresolved_module.h"
#include "rules/ptl102_missing_class.h"
#include "rules/ptl103_main_module_global.h"
#include "rules/ptl104_pickled_attribute_drift.h"
#include "rules/ptl301_module_pickle_as_state_dict.h"
#include "rules/ptl302_state_dict_as_module.h"
#include "rules/ptl304_device_without_map_location.h"
#include "rules/ptl701_saves_whole_module.h"
#include "rules/ptl702_main_class_pickled.h"

namespace ptlint {

std::vector<const Rule*> SourceRules() {
  static const UnresolvedModuleRule ptl101;
  static const MissingClassRule ptl102;
  static const MainModuleGlobalRule ptl103;
  static const PickledAttributeDriftRule ptl104;
  static const ModulePickleAsStateDictRule ptl301;
  static const StateDictAsModuleRule ptl302;
  static const DeviceWithoutMapLocationRule ptl304;
  static const SavesWholeModuleRule ptl701;
  static const MainClassPickledRule ptl702;
  return {&ptl101, &ptl102, &ptl103, &ptl104, &ptl301, &ptl302, &ptl304, &ptl701, &ptl702};
}

}  // namespace ptlint
