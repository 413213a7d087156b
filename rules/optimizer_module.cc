// PTL4xx optimizer state: a saved optimizer.state_dict() against the model and
// the torch.optim construction that will load it.
#include "rules/modules.h"
#include "rules/ptl401_optimizer_param_count.h"
#include "rules/ptl402_optimizer_kind.h"
#include "rules/ptl403_optimizer_state_shape.h"

namespace ptlint {

std::vector<const Rule*> OptimizerRules() {
  static const OptimizerParamCountRule ptl401;
  static const OptimizerKindRule ptl402;
  static const OptimizerStateShapeRule ptl403;
  return {&ptl401, &ptl402, &ptl403};
}

}  // namespace ptlint
