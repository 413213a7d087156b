// PTL206 wrapper-dict: see ptl206_wrapper_dict.md.
#ifndef PTLINT_RULES_DRIFT_PTL206_WRAPPER_DICT_H_
#define PTLINT_RULES_DRIFT_PTL206_WRAPPER_DICT_H_

#include "rules/core/rule.h"

namespace ptlint {

class WrapperDictRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_DRIFT_PTL206_WRAPPER_DICT_H_
