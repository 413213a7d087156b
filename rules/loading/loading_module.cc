// PTL3xx: how the source loads a checkpoint against what the checkpoint is.
#include "rules/loading/loading_module.h"

#include "rules/loading/ptl301_module_pickle_as_state_dict.h"
#include "rules/loading/ptl302_state_dict_as_module.h"
#include "rules/loading/ptl303_weights_only_rejects.h"
#include "rules/loading/ptl304_device_without_map_location.h"

namespace ptlint {

std::vector<const Rule*> LoadingRules() {
  static const ModulePickleAsStateDictRule ptl301;
  static const StateDictAsModuleRule ptl302;
  static const WeightsOnlyRejectsRule ptl303;
  static const DeviceWithoutMapLocationRule ptl304;
  return {&ptl301, &ptl302, &ptl303, &ptl304};
}

}  // namespace ptlint
