// PTL503 corrupt-or-not-a-checkpoint: the reader's precise diagnosis of a
// file that is not a loadable checkpoint (LFS pointer, HTML page, truncated
// zip, missing record, storage size mismatch, ...).
#ifndef PTLINT_RULES_FORMAT_PTL503_CORRUPT_OR_NOT_A_CHECKPOINT_H_
#define PTLINT_RULES_FORMAT_PTL503_CORRUPT_OR_NOT_A_CHECKPOINT_H_

#include "rules/core/rule.h"

namespace ptlint {

class CorruptOrNotACheckpointRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_FORMAT_PTL503_CORRUPT_OR_NOT_A_CHECKPOINT_H_
