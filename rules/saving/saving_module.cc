// PTL7xx: how the source saves checkpoints.
#include "rules/saving/saving_module.h"

#include "rules/saving/ptl701_saves_whole_module.h"
#include "rules/saving/ptl702_main_class_pickled.h"

namespace ptlint {

std::vector<const Rule*> SavingRules() {
  static const SavesWholeModuleRule ptl701;
  static const MainClassPickledRule ptl702;
  return {&ptl701, &ptl702};
}

}  // namespace ptlint
