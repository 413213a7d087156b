// PTL2xx: the state dict a checkpoint holds against the one its class predicts.
#include "rules/drift/drift_module.h"

#include "rules/drift/ptl201_missing_keys.h"
#include "rules/drift/ptl202_unexpected_keys.h"
#include "rules/drift/ptl203_shape_mismatch.h"
#include "rules/drift/ptl204_renamed_attribute.h"
#include "rules/drift/ptl205_wrapper_prefix.h"
#include "rules/drift/ptl206_wrapper_dict.h"

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
