// PTL501 format-too-new: the checkpoint uses rebuild functions, modules or a
// format version that the project's pinned torch (or numpy) does not have.
#ifndef PTLINT_RULES_FORMAT_PTL501_FORMAT_TOO_NEW_H_
#define PTLINT_RULES_FORMAT_PTL501_FORMAT_TOO_NEW_H_

#include "rules/core/rule.h"

namespace ptlint {

class FormatTooNewRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_FORMAT_PTL501_FORMAT_TOO_NEW_H_
