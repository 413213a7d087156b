// The saving module: PTL7xx: how the source saves checkpoints.
#ifndef PTLINT_RULES_SAVING_SAVING_MODULE_H_
#define PTLINT_RULES_SAVING_SAVING_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> SavingRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_SAVING_SAVING_MODULE_H_
