#include "analyzer/analysis/restricted_unpickler.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

// WeightsOnlyAcceptsOpcode (which the simulation uses when it has only the
// graph) names exactly the opcodes the unpickler has a case for.
TEST(RestrictedUnpickler, AcceptedOpcodesMatchTheUnpickler) {
  for (TorchVersion version : {TorchVersion::k1_13, TorchVersion::k2_4, TorchVersion::k2_6,
                               TorchVersion::kCurrent}) {
    for (int b = 0; b < 256; ++b) {
      WeightsOnlyPickleRun run =
          RunWeightsOnlyUnpickler(std::string(1, static_cast<char>(b)), 0, version);
      bool unsupported = run.inner_message == "Unsupported operand " + std::to_string(b);
      EXPECT_EQ(WeightsOnlyAcceptsOpcode(static_cast<uint8_t>(b), version), !unsupported)
          << "opcode " << b << " version " << static_cast<int>(version);
    }
  }
}

}  // namespace
}  // namespace ptlint
