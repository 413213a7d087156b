// PTL5xx: the file itself: format version, legacy formats, corruption.
#include "rules/format/format_module.h"

#include "rules/format/ptl501_format_too_new.h"
#include "rules/format/ptl502_legacy_format.h"
#include "rules/format/ptl503_corrupt_or_not_a_checkpoint.h"

namespace ptlint {

std::vector<const Rule*> FormatRules() {
  static const FormatTooNewRule ptl501;
  static const LegacyFormatRule ptl502;
  static const CorruptOrNotACheckpointRule ptl503;
  return {&ptl501, &ptl502, &ptl503};
}

}  // namespace ptlint
