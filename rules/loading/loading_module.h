// The loading module: PTL3xx: how the source loads a checkpoint against what the checkpoint is.
#ifndef PTLINT_RULES_LOADING_LOADING_MODULE_H_
#define PTLINT_RULES_LOADING_LOADING_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> LoadingRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_LOADING_LOADING_MODULE_H_
