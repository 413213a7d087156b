// Severity: how bad a finding is. Readers grade the problems they find in a
// file with it and rules grade diagnostics with it, so it lives below both.
#ifndef PTLINT_ANALYZER_SUPPORT_SEVERITY_H_
#define PTLINT_ANALYZER_SUPPORT_SEVERITY_H_

namespace ptlint {

enum class Severity { kError, kWarning, kInfo };
const char* SeverityName(Severity severity);  // "error", "warning", "info"

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_SEVERITY_H_
