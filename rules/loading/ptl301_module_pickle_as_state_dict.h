// PTL301 module-pickle-as-state-dict: `load_state_dict(torch.load(p))` where p
// holds a whole pickled nn.Module, not a state dict.
#ifndef PTLINT_RULES_LOADING_PTL301_MODULE_PICKLE_AS_STATE_DICT_H_
#define PTLINT_RULES_LOADING_PTL301_MODULE_PICKLE_AS_STATE_DICT_H_

#include "rules/core/rule.h"

namespace ptlint {

class ModulePickleAsStateDictRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_LOADING_PTL301_MODULE_PICKLE_AS_STATE_DICT_H_
