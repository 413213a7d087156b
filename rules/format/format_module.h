// The format module: PTL5xx: the file itself: format version, legacy formats, corruption.
#ifndef PTLINT_RULES_FORMAT_FORMAT_MODULE_H_
#define PTLINT_RULES_FORMAT_FORMAT_MODULE_H_

#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

std::vector<const Rule*> FormatRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_FORMAT_FORMAT_MODULE_H_
