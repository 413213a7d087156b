// PTL304 device-without-map-location: the checkpoint's storages are tagged
// with a device (cuda:N, mps, ...) and a torch.load call site reading it
// passes no map_location.
#ifndef PTLINT_RULES_LOADING_PTL304_DEVICE_WITHOUT_MAP_LOCATION_H_
#define PTLINT_RULES_LOADING_PTL304_DEVICE_WITHOUT_MAP_LOCATION_H_

#include "rules/core/rule.h"

namespace ptlint {

class DeviceWithoutMapLocationRule final : public Rule {
 public:
  const RuleInfo& info() const override;
  void CheckCheckpoint(const CheckpointContext& context, std::vector<Diagnostic>& out) const override;
};

}  // namespace ptlint

#endif  // PTLINT_RULES_LOADING_PTL304_DEVICE_WITHOUT_MAP_LOCATION_H_
