// PTL502 legacy-format: the checkpoint uses a pre-1.6 serialization format.
#ifndef PTLINT_RULES_FORMAT_PTL502_LEGACY_FORMAT_H_
#define PTLINT_RULES_FORMAT_PTL502_LEGACY_FORMAT_H_

#include "rules/core/rule.h"

namespace ptlint {

class LegacyFormatRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_FORMAT_PTL502_LEGACY_FORMAT_H_
