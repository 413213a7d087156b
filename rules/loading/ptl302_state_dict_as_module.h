// PTL302 state-dict-as-module: `m = torch.load(p)` is then used as a module
// (`m.eval()`, `m(x)`), but p holds a state dict (a dict of tensors).
#ifndef PTLINT_RULES_LOADING_PTL302_STATE_DICT_AS_MODULE_H_
#define PTLINT_RULES_LOADING_PTL302_STATE_DICT_AS_MODULE_H_

#include "rules/core/rule.h"

namespace ptlint {

class StateDictAsModuleRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_LOADING_PTL302_STATE_DICT_AS_MODULE_H_
