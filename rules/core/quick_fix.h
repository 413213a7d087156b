// Helpers for the rules' machine-applicable fixes (Diagnostic::edits):
// where things are in the source text the index holds (the editor's unsaved
// text under `ptlint lsp`, the file on disk under `ptlint check`), and the
// small Python snippets the fixes insert.
#ifndef PTLINT_RULES_CORE_QUICK_FIX_H_
#define PTLINT_RULES_CORE_QUICK_FIX_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/analysis/project_analysis.h"
#include "rules/core/diagnostic.h"

namespace ptlint {

// The indexed source of `path`, or null.
const std::string* IndexedSource(const ProjectAnalysis& project, const std::string& path);

// A SourceRange (1-based lines, 1-based byte columns) for bytes [start, end) of `source`.
SourceRange RangeOfBytes(const std::string& path, const std::string& source, size_t start, size_t end);

// The byte range of the argument of `site` (a load_state_dict call), when it
// can be found in the source as written.
std::optional<std::pair<size_t, size_t>> LoadStateDictArgument(const ProjectAnalysis& project,
                                                               const CallSite& site);

// `expr` as an operand of `.items()`: parenthesised unless it is a name,
// attribute, call or subscript chain.
std::string AsOperand(const std::string& expr);

// An edit inserting `lines` (each without newline) before 1-based `line` of
// `path`, with that line's indentation. nullopt when the line continues an
// earlier one (inside brackets or after a backslash), where a new statement
// cannot go.
std::optional<TextEdit> InsertLinesBefore(const ProjectAnalysis& project, const std::string& path,
                                          int line, const std::vector<std::string>& lines);

// An edit appending `line` at the end of `path` (module level).
std::optional<TextEdit> AppendLine(const ProjectAnalysis& project, const std::string& path,
                                   const std::string& line);

// Does `source` import `module` at its top level (`import re`, `import os, re`)?
bool ImportsModule(const std::string& source, const std::string& module);

// An edit adding `import MODULE` to `path`: before its first top-level import
// other than `from __future__`, else after those, else at its top. nullopt
// when `path` already imports it or is not indexed.
std::optional<TextEdit> ImportModuleEdit(const ProjectAnalysis& project, const std::string& path,
                                         const std::string& module);

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_QUICK_FIX_H_
