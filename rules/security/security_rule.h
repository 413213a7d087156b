// The four PTL6xx rules share one shape: report the pickle-safety findings
// (analyzer/pickle_safety.h) of their own code. Each rule is still its own
// class in its own file, with its own documentation.
#ifndef PTLINT_RULES_SECURITY_SECURITY_RULE_H_
#define PTLINT_RULES_SECURITY_SECURITY_RULE_H_

#include "rules/core/rule.h"

namespace ptlint {

// Appends a Diagnostic for every finding of `rule`'s code in the report.
void ReportSafetyFindings(const Rule& rule, const CheckpointContext& context,
                          std::vector<Diagnostic>& out);

}  // namespace ptlint

#endif  // PTLINT_RULES_SECURITY_SECURITY_RULE_H_
