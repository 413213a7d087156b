#include "analyzer/analysis/key_pattern.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(KeyPattern, ComponentGlob) {
  EXPECT_TRUE(KeyComponentMatches("*", "0"));
  EXPECT_TRUE(KeyComponentMatches("*", ""));
  EXPECT_TRUE(KeyComponentMatches("layer*", "layer12"));
  EXPECT_TRUE(KeyComponentMatches("layer*", "layer"));
  EXPECT_TRUE(KeyComponentMatches("weight_*", "weight_g"));
  EXPECT_TRUE(KeyComponentMatches("a*b*c", "axxbyyc"));
  EXPECT_TRUE(KeyComponentMatches("*_proj", "q_proj"));
  EXPECT_FALSE(KeyComponentMatches("layer*", "lay"));
  EXPECT_FALSE(KeyComponentMatches("a*b*c", "axxbyy"));
  // Only `*` is special.
  EXPECT_FALSE(KeyComponentMatches("w?", "wx"));
  EXPECT_TRUE(KeyComponentMatches("w?*", "w?x"));
}

TEST(KeyPattern, StarIsExactlyOneComponent) {
  EXPECT_TRUE(KeyPatternMatches("layers.*.weight", "layers.0.weight"));
  EXPECT_TRUE(KeyPatternMatches("layers.*.weight", "layers.11.weight"));
  // A ModuleList index is one component: `*` does not swallow a submodule.
  EXPECT_FALSE(KeyPatternMatches("layers.*.weight", "layers.0.sub.weight"));
  EXPECT_FALSE(KeyPatternMatches("layers.*.weight", "layers.weight"));
  EXPECT_FALSE(KeyPatternMatches("*.weight", "a.b.weight"));
  EXPECT_TRUE(KeyPatternMatches("*.weight", "a.weight"));
  EXPECT_FALSE(KeyPatternMatches("layers.*", "layers.0.weight"));
  EXPECT_TRUE(KeyPatternMatches("blocks.*.layers.*.bias", "blocks.1.layers.2.bias"));
  EXPECT_TRUE(KeyPatternMatches("layer*.bias", "layer3.bias"));
  EXPECT_FALSE(KeyPatternMatches("layer*.bias", "layer3.x.bias"));
  // No `*`: plain equality.
  EXPECT_TRUE(KeyPatternMatches("fc.weight", "fc.weight"));
  EXPECT_FALSE(KeyPatternMatches("fc.weight", "fc.weight2"));
}

TEST(KeyPattern, OpenPrefixes) {
  EXPECT_TRUE(OpenPrefixCovers("", "anything.at.all"));
  // "encoder." is the subtree strictly under encoder.
  EXPECT_TRUE(OpenPrefixCovers("encoder.", "encoder.x"));
  EXPECT_TRUE(OpenPrefixCovers("encoder.", "encoder.a.b"));
  EXPECT_FALSE(OpenPrefixCovers("encoder.", "encoder"));
  EXPECT_FALSE(OpenPrefixCovers("encoder.", "encoder2.x"));
  EXPECT_FALSE(OpenPrefixCovers("encoder.", "decoder.encoder.x"));
  // A pattern prefix: one component per `*`.
  EXPECT_TRUE(OpenPrefixCovers("layers.*.", "layers.0.weight"));
  EXPECT_TRUE(OpenPrefixCovers("layers.*.", "layers.0.sub.weight"));
  EXPECT_FALSE(OpenPrefixCovers("layers.*.", "layers.0"));
  EXPECT_FALSE(OpenPrefixCovers("layers.*.", "other.0.weight"));
  // No trailing dot: the name itself (a parameter) and what is under it.
  EXPECT_TRUE(OpenPrefixCovers("conv.weight_*", "conv.weight_g"));
  EXPECT_TRUE(OpenPrefixCovers("conv.weight_*", "conv.weight_orig"));
  EXPECT_FALSE(OpenPrefixCovers("conv.weight_*", "conv.bias"));
  EXPECT_FALSE(OpenPrefixCovers("conv.weight_*", "conv"));
  EXPECT_TRUE(OpenPrefixCovers("layer*", "layer3"));
  EXPECT_TRUE(OpenPrefixCovers("layer*", "layer3.weight"));
  EXPECT_FALSE(OpenPrefixCovers("layer*", "fc.layer3"));
}

}  // namespace
}  // namespace ptlint
