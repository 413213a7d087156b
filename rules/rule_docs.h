// The rule documentation embedded at build time (rules/embed_docs.cmake):
// one entry per rules/<module>/ptlNNN_<name>.md.
#ifndef PTLINT_RULES_RULE_DOCS_H_
#define PTLINT_RULES_RULE_DOCS_H_

#include <string_view>

namespace ptlint {

struct RuleDoc {
  std::string_view code;  // "PTL503"
  std::string_view path;  // "rules/format/ptl503_corrupt_or_not_a_checkpoint.md"
  std::string_view text;  // the Markdown
};

extern const RuleDoc kRuleDocs[];
extern const unsigned kRuleDocCount;

}  // namespace ptlint

#endif  // PTLINT_RULES_RULE_DOCS_H_
