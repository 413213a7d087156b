// PTL2xx state dict vs module structure, PTL4xx optimizer state.
#include "rules/modules.h"
#include "rules/ptl201_missing_keys.h"
#include "rules/ptl202_unexpected_keys.h"
#include "rules/ptl203_shape_mismatch.h"
#include "rules/ptl204_renamed_attribute.h"
#include "rules/ptl205_wrapper_prefix.h"
#include "rules/ptl206_wrapper_dict.h"

namespace ptlint {

std::vector<const Rule*> DriftRules() {
  static const MissingKeysRule ptl201;
  static const UnexpectedKeysRule ptl202;
  static const ShapeMismatchRule ptl203;
  static const RenamedAttributeRule ptl204;
  static const WrapperPrefixRule ptl205;
  static const WrapperDictRule ptl206;
  return {&ptl201, &ptl202, &ptl203, &ptl204, &ptl205, &ptl206};
}

}  // namespace ptlint
