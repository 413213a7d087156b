// Shared pieces of the source rules (PTL1xx, PTL3xx, PTL5xx, PTL7xx): how
// Python would name a module in its error messages, and the small source
// queries several rules need (placement helpers are in rule_util.h).
#ifndef PTLINT_RULES_CORE_SOURCE_RULE_SUPPORT_H_
#define PTLINT_RULES_CORE_SOURCE_RULE_SUPPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "rules/core/rule.h"
#include "rules/core/rule_util.h"

namespace ptlint {

// DisplayPath (rule_util.h) makes every path relative to the working directory.

// How CPython's module repr names a module loaded from the project:
// "<module 'pkg.mod' from '.../pkg/mod.py'>", with the sys.path entry elided
// as "..." so the text is the same on every machine.
std::string ModuleReprFromFile(const std::string& module, bool is_package);

// The source text of a 1-based line (without the newline), or "".
std::string SourceLine(const ProjectAnalysis& project, const std::string& path, uint32_t line);
// The source bytes from a position (1-based line, 1-based byte column) on, up to `max` bytes.
std::string SourceFrom(const ProjectAnalysis& project, const std::string& path, SourcePosition at,
                       size_t max = 200);

// Levenshtein distance, capped: returns cap + 1 as soon as it exceeds `cap`.
size_t EditDistance(std::string_view a, std::string_view b, size_t cap);

// Module-level classes named `simple_name`, in file order.
std::vector<const ClassInfo*> ClassesNamed(const ModuleIndex& index, const std::string& simple_name);

// "Net" from "Outer.Net"; pickles may carry qualified names (protocol 4).
std::string SimpleName(const std::string& qualname);

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_SOURCE_RULE_SUPPORT_H_
