// PTL4xx: saved optimizer state against the parameters and optimizer of today's code.
#include "rules/optimizer/optimizer_module.h"

#include "rules/optimizer/ptl401_optimizer_param_count.h"
#include "rules/optimizer/ptl402_optimizer_kind.h"
#include "rules/optimizer/ptl403_optimizer_state_shape.h"

namespace ptlint {

std::vector<const Rule*> OptimizerRules() {
  static const OptimizerParamCountRule ptl401;
  static const OptimizerKindRule ptl402;
  static const OptimizerStateShapeRule ptl403;
  return {&ptl401, &ptl402, &ptl403};
}

}  // namespace ptlint
