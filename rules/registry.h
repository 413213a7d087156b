// The one registry of rules, in code order.
#ifndef PTLINT_RULES_REGISTRY_H_
#define PTLINT_RULES_REGISTRY_H_

#include <string>
#include <string_view>
#include <vector>

#include "rules/core/rule.h"

namespace ptlint {

const std::vector<const Rule*>& AllRules();
const Rule* FindRule(std::string_view code);  // case-insensitive; nullptr if unknown

// The rule's documentation (Markdown), embedded at build time from
// rules/<code>_*.md. Empty when the rule has none (a test forbids that).
std::string_view RuleDocumentation(std::string_view code);

// Where that documentation is published: PTLINT_DOCS_URL (a CMake cache
// variable, the project's source tree on GitHub by default) + the doc's path,
// "rules/drift/ptl204_renamed_attribute.md". SARIF helpUri and the LSP's
// codeDescription use it. An unknown code gets the rules folder.
std::string RuleDocumentationUrl(std::string_view code);

// The page about ptlint as a whole (SARIF's tool.driver.informationUri):
// PTLINT_DOCS_URL + "README.md".
std::string ToolDocumentationUrl();

// Every documented code, sorted (used by tests to check docs and rules agree).
std::vector<std::string_view> DocumentedRuleCodes();

// Whether `code` is selected by --select/--ignore style prefixes ("PTL5", "PTL503", "ALL").
bool RuleSelected(std::string_view code, const std::vector<std::string>& select,
                  const std::vector<std::string>& ignore);

// Checks one --select / --ignore / per-file-ignores entry: "ALL", a rule
// code ("PTL503") or a prefix of one ("PTL", "PTL5", "PTL50"), in any case.
// Returns "" when it selects something, else the reason with the closest
// real code or prefix, as ruff does: "unknown rule code or prefix `PTL999`
// (closest: `PTL702`; see `ptlint rule --all`)". A typo must not quietly
// select nothing and report a clean project.
std::string RuleSelectorError(std::string_view selector);

// The closest real code or prefix to `selector` (edit distance with
// transpositions; ties go to the same length, then the nearest number).
std::string ClosestRuleSelector(std::string_view selector);

}  // namespace ptlint

#endif  // PTLINT_RULES_REGISTRY_H_
