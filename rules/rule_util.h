// Small helpers the rules share to place findings: where a predicted key or
// a class is in the source, where a checkpoint is. Placement only; each rule
// decides what it reports.
#ifndef PTLINT_RULES_RULE_UTIL_H_
#define PTLINT_RULES_RULE_UTIL_H_

#include <string>
#include <vector>

#include "rules/rule.h"

namespace ptlint {

// The path as reported (relative to the working directory when below it).
std::string DisplayPath(const std::string& path);

SourceRange RangeOf(const SourceLocation& location);
SourceRange RangeOf(const std::string& path, const SourcePosition& position);
SourceRange CheckpointRange(const CheckpointContext& context);
// The whole call expression of a call site (start to end on its first line).
SourceRange RangeOfCall(const CallSite& site);
// The line that assigns `self.<attribute>` in the class defined at
// `class_path`:`class_line` (the first such line in the class body), or the
// class line itself when none is found.
SourceRange AttributeAssignmentRange(const std::string& class_path, uint32_t class_line,
                                     const std::string& attribute);
// Terminal escape sequences (torch 2.6 puts bold markers in its weights_only
// message) do not belong in reports.
std::string StripAnsi(const std::string& text);

// The bound class's definition, or the checkpoint when there is none.
SourceRange BoundClassRange(const CheckpointContext& context);
// The load_state_dict call that loads this checkpoint into the bound class,
// if the binding came from one.
const CallSite* BindingCallSite(const CheckpointContext& context);

// "Net" from "pkg.models.Net": the name torch prints in its messages.
std::string ShortClassName(const std::string& qualified);

// `a`, `b`, `c` and 4 more
std::string QuotedList(const std::vector<std::string>& items, size_t max_items = 6);

Diagnostic NewDiagnostic(const Rule& rule, const CheckpointContext& context);

}  // namespace ptlint

#endif  // PTLINT_RULES_RULE_UTIL_H_
