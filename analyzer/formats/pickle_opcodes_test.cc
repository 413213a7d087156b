#include "analyzer/formats/pickle_opcodes.h"

#include <gtest/gtest.h>

#include "analyzer/formats/pickle_machine.h"

namespace ptlint {
namespace {

TEST(PickleOpcodes, NamesAndProtocols) {
  EXPECT_EQ(PickleOpcodeName(pickle_op::STACK_GLOBAL), "STACK_GLOBAL");
  EXPECT_EQ(PickleOpcodeName(pickle_op::MARK), "MARK");
  EXPECT_EQ(PickleOpcodeName(0xff), "0xff");
  EXPECT_EQ(kPickleOpcodes[pickle_op::FRAME].protocol, 4);
  EXPECT_EQ(kPickleOpcodes[pickle_op::BINBYTES].protocol, 3);
  EXPECT_EQ(kPickleOpcodes[pickle_op::GLOBAL].protocol, 0);
  EXPECT_TRUE(IsPickleOpcode(pickle_op::READONLY_BUFFER));
  EXPECT_FALSE(IsPickleOpcode(0x99));
  EXPECT_FALSE(IsPickleOpcode('v'));
}

// Every byte the table does not know is what the machine calls a bad opcode,
// and every byte it knows is not.
TEST(PickleOpcodes, AgreesWithTheMachine) {
  PickleMachine machine;
  for (int b = 0; b < 256; ++b) {
    std::string data(1, static_cast<char>(b));
    PickleGraph g = machine.Run(data);
    ASSERT_TRUE(g.error.has_value()) << b;
    EXPECT_EQ(g.error->code == "pickle.bad-opcode", !IsPickleOpcode(static_cast<uint8_t>(b))) << b;
  }
}

}  // namespace
}  // namespace ptlint
