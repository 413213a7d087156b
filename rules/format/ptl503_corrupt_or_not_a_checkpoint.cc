#include "rules/format/ptl503_corrupt_or_not_a_checkpoint.h"

namespace ptlint {

const RuleInfo& CorruptOrNotACheckpointRule::info() const {
  static const RuleInfo kInfo{"PTL503", "corrupt-or-not-a-checkpoint", Severity::kError,
                              "File is corrupt, truncated, or not a checkpoint at all"};
  return kInfo;
}

void CorruptOrNotACheckpointRule::CheckCheckpoint(const CheckpointContext& ctx,
                                                  std::vector<Diagnostic>& out) const {
  // Reader problems of info severity are facts (e.g. "_metadata stripped"),
  // not corruption; security-relevant pickle anomalies belong to PTL604.
  for (const ReaderProblem& p : ctx.checkpoint.problems) {
    if (p.severity == Severity::kInfo) continue;
    Diagnostic d;
    d.code = info().code;
    d.severity = p.severity;
    d.message = p.message + " [" + p.code + "]";
    if (!p.record.empty()) d.message += " (in " + p.record + ")";
    d.torch_error = p.torch_error;
    d.fix = p.hint;
    d.checkpoint = ctx.display_path;
    d.location.path = ctx.display_path;
    d.byte_offset = p.offset;
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
