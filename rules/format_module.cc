// PTL5xx: format and environment.
#include "rules/modules.h"
#include "rules/ptl501_format_too_new.h"
#include "rules/ptl502_legacy_format.h"
#include "rules/ptl503_corrupt_or_not_a_checkpoint.h"

namespace ptlint {

std::vector<const Rule*> FormatRules() {
  static const FormatTooNewRule ptl501;
  static const LegacyFormatRule ptl502;
  static const CorruptOrNotACheckpointRule ptl503;
  return {&ptl501, &ptl502, &ptl503};
}

}  // namespace ptlint
