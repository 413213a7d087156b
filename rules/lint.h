// Lint: the one pipeline from a ProjectAnalysis to sorted, suppressed
// diagnostics, shared by `ptlint check` and `ptlint lsp`.
//
// Settings come from the project config, overridden by command-line flags
// (the CLI's and the ones an editor passes to `ptlint lsp`), with the torch
// version falling back to the project's own pins.
#ifndef PTLINT_RULES_LINT_H_
#define PTLINT_RULES_LINT_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/analysis/project_analysis.h"
#include "analyzer/config/project_config.h"
#include "analyzer/support/result.h"
#include "rules/core/diagnostic.h"

namespace ptlint {

// Flags that override the config. `*_given` tells "--select ''" from absent.
struct LintOverrides {
  std::vector<std::string> select, ignore;
  bool select_given = false, ignore_given = false;
  std::string torch_version;
  std::map<std::string, std::string> bind;  // CKPT -> pkg.mod.Class
  bool strict = false;
  bool force_exclude = false;  // `exclude` applies to paths named explicitly too
};

// Consumes args[i] (and its value) when it is one of the lint flags
// (--select, --ignore, --torch-version, --bind, --strict, --force-exclude, with or without
// "="). Returns false when args[i] is not a lint flag; sets `error` when it
// is one but malformed.
bool ParseLintFlag(const std::vector<std::string>& args, size_t& i, LintOverrides& o,
                   std::string& error);

// Comma-separated codes ("PTL2, PTL501") as a list.
std::vector<std::string> SplitCodes(const std::string& s);

struct LintSettings {
  std::vector<std::string> select, ignore;
  std::map<std::string, std::vector<std::string>> per_file_ignores;  // glob -> codes
  std::vector<std::string> exclude;                                  // globs
  std::string root;                 // the config's folder, or the first path's
  AnalysisOptions analysis;         // torch version, safety, bind, strict, exclude
};

// Is `d` dropped by a `per-file-ignores` entry? Its location's path is
// matched (PathMatchesPattern, relative to `root`) against each glob; a glob
// starting with '!' applies to the paths it does not match (as in ruff).
// Codes are codes or prefixes ("PTL2", "ALL").
bool PerFileIgnored(const Diagnostic& d, const LintSettings& settings);

// Config first, then flags; the torch version from flag, config, then the
// pins under `root` (requirements*.txt, pyproject dependencies).
Result<LintSettings> ResolveLintSettings(const ProjectConfig& config, const LintOverrides& flags,
                                         const std::string& fallback_root);

// A source line's text for suppression comments (1-based); nullopt when
// unknown. The LSP answers from its open documents; the CLI from disk.
using SourceLineReader = std::function<std::optional<std::string>(const std::string& path, int line)>;
SourceLineReader DiskLineReader();

// Runs every selected rule over the project, applies `per-file-ignores` and
// `# ptlint: ignore[...]` / `# noqa:` suppressions, and sorts (DiagnosticLess).
std::vector<Diagnostic> LintProject(const ProjectAnalysis& project, const LintSettings& settings,
                                    const SourceLineReader& lines);

// A file whose reading, analysis or rules failed inside ptlint (an exception)
// is reported as PTL604 with this message prefix, whatever is selected; the
// other files are checked as usual. `check` exits with status 2 when there
// is one (HasInternalErrors).
inline constexpr const char* kInternalErrorPrefix = "ptlint failed internally";
bool IsInternalError(const Diagnostic& d);
bool HasInternalErrors(const std::vector<Diagnostic>& diagnostics);

// `# ptlint: ignore[CODE]` / `# noqa: CODE` / bare `# ptlint: ignore` on `line`.
bool LineSuppresses(const std::string& line, const std::string& code);

}  // namespace ptlint

#endif  // PTLINT_RULES_LINT_H_
