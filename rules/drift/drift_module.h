// The drift module: PTL2xx: the state dict a checkpoint holds against the one its class predicts.
#ifndef PTLINT_RULES_DRIFT_DRIFT_MODULE_H_
#define PTLINT_RULES_DRIFT_DRIFT_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> DriftRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_DRIFT_MODULE_H_
