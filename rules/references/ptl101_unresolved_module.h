// PTL101 unresolved-module: a pickled global's module exists neither in the
// project's sources nor among known libraries, so unpickling raises
// ModuleNotFoundError. Says where a class of that name lives now.
#ifndef PTLINT_RULES_REFERENCES_PTL101_UNRESOLVED_MODULE_H_
#define PTLINT_RULES_REFERENCES_PTL101_UNRESOLVED_MODULE_H_

#include "rules/core/rule.h"

namespace ptlint {

class UnresolvedModuleRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

// The dotted prefix of `module` Python would name in "No module named '...'":
// the first prefix that is neither a module file nor a package folder in the
// index. Empty when the whole module resolves.
std::string FirstMissingModule(const ModuleIndex& index, const std::string& module);

}  // namespace ptlint

#endif  // PTLINT_RULES_REFERENCES_PTL101_UNRESOLVED_MODULE_H_
