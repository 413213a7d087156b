// PTL103 main-module-global: the pickle references `__main__.X`, a class of
// the script that saved it; only a script defining X at top level can load it.
#ifndef PTLINT_RULES_REFERENCES_PTL103_MAIN_MODULE_GLOBAL_H_
#define PTLINT_RULES_REFERENCES_PTL103_MAIN_MODULE_GLOBAL_H_

#include "rules/core/rule.h"

namespace ptlint {

class MainModuleGlobalRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_REFERENCES_PTL103_MAIN_MODULE_GLOBAL_H_
