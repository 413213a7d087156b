// Rule modules, as in clang-tidy: each module lists its rules; the registry
// (registry.cc) concatenates them in code order. Adding a rule means adding
// its files and one line to its module.
#ifndef PTLINT_RULES_MODULES_H_
#define PTLINT_RULES_MODULES_H_

#include <vector>

#include "rules/rule.h"

namespace ptlint {

// PTL1xx pickled globals vs source, PTL3xx loading strategy, PTL7xx source hygiene.
std::vector<const Rule*> SourceRules();
// PTL2xx state dict vs module structure, PTL4xx optimizer state.
std::vector<const Rule*> DriftRules();
// PTL4xx optimizer state.
std::vector<const Rule*> OptimizerRules();
// PTL5xx format and environment.
std::vector<const Rule*> FormatRules();
// PTL6xx pickle safety, and PTL303 weights-only (it shares the classification).
std::vector<const Rule*> SecurityRules();

}  // namespace ptlint

#endif  // PTLINT_RULES_MODULES_H_
