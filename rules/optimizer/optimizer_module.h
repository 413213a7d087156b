// The optimizer module: PTL4xx: saved optimizer state against the parameters and optimizer of today's code.
#ifndef PTLINT_RULES_OPTIMIZER_OPTIMIZER_MODULE_H_
#define PTLINT_RULES_OPTIMIZER_OPTIMIZER_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> OptimizerRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_OPTIMIZER_OPTIMIZER_MODULE_H_
