#include "rules/core/rule_util.h"

#include <string>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

bool Target(const std::string& line, const std::string& name = "self.conv1") {
  size_t at = line.find(name);
  return at != std::string::npos && IsAssignmentTarget(line, at, name.size());
}

TEST(IsAssignmentTargetTest, AssignmentsAnnotationsAndTupleTargets) {
  EXPECT_TRUE(Target("        self.conv1 = conv3x3(inplanes, planes, stride)"));
  EXPECT_TRUE(Target("        self.conv1=None"));
  EXPECT_TRUE(Target("        self.conv1: nn.Module = nn.Identity()"));
  EXPECT_TRUE(Target("        self.conv1, self.conv2 = a, b"));
  EXPECT_TRUE(Target("        self.conv0, self.conv1 = a, b"));
}

TEST(IsAssignmentTargetTest, CommentsComparisonsAndOtherTargetsAreNot) {
  // torchvision's resnet.py, the line above `self.conv1 = ...`.
  EXPECT_FALSE(Target("        # Both self.conv1 and self.downsample layers downsample the input when stride != 1"));
  EXPECT_FALSE(Target("        x = self.conv1(x)"));
  EXPECT_FALSE(Target("        if self.conv1 == other:"));
  EXPECT_FALSE(Target("        assert self.conv1 is not None, 'a = b'"));
  EXPECT_FALSE(Target("        self.conv1.weight = w"));
  EXPECT_FALSE(Target("        self.conv1[0] = w"));
  EXPECT_FALSE(Target("        self.conv1  # = kept for later"));
  EXPECT_FALSE(Target("        print('self.conv1 = x')"));
  EXPECT_FALSE(Target("        self.conv10 = x"));
  EXPECT_FALSE(Target("        other.self.conv1 = x"));
}

}  // namespace
}  // namespace ptlint
