// The references module: PTL1xx: the globals a checkpoint pickles, checked against the source that must provide them.
#ifndef PTLINT_RULES_REFERENCES_REFERENCES_MODULE_H_
#define PTLINT_RULES_REFERENCES_REFERENCES_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> ReferenceRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_REFERENCES_REFERENCES_MODULE_H_
