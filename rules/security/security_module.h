// The security module: PTL6xx: what unpickling the checkpoint would import and call.
#ifndef PTLINT_RULES_SECURITY_SECURITY_MODULE_H_
#define PTLINT_RULES_SECURITY_SECURITY_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> SecurityRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_SECURITY_MODULE_H_
