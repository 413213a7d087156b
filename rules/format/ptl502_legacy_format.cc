#include "rules/format/ptl502_legacy_format.h"

namespace ptlint {

const RuleInfo& LegacyFormatRule::info() const {
  static const RuleInfo kInfo{"PTL502", "legacy-format", Severity::kWarning,
                              "Checkpoint uses a legacy (pre-1.6) serialization format"};
  return kInfo;
}

void LegacyFormatRule::CheckCheckpoint(const CheckpointContext& ctx,
                                       std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  if (cp.format != ContainerFormat::kLegacy && cp.format != ContainerFormat::kLegacyTar) return;
  Diagnostic d;
  d.code = info().code;
  d.severity = info().default_severity;
  d.checkpoint = ctx.display_path;
  d.location.path = ctx.display_path;
  d.byte_offset = 0;
  if (cp.format == ContainerFormat::kLegacyTar) {
    d.message = "checkpoint is in the pre-0.4 tar format";
    d.torch_error = WeightsOnlyIsDefault(ctx.torch_version)
        ? "_pickle.UnpicklingError: Weights only load failed. ... Cannot use ``weights_only=True`` "
          "with files saved in the legacy .tar format."
        : "";
    d.fix = "Load it once with an old torch and weights_only=False from a trusted source, then "
            "re-save the state_dict with a current torch.save.";
  } else {
    d.message = "checkpoint is in the legacy stacked-pickle format (torch < 1.6 or "
                "_use_new_zipfile_serialization=False)";
    d.fix = "Re-save with a current torch.save (zip format): it can be memory-mapped "
            "(torch.load(mmap=True), torch >= 2.1) and its tensor data is 64-byte aligned.";
  }
  out.push_back(std::move(d));
}

}  // namespace ptlint
