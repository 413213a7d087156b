#include "analyzer/analysis/key_pattern.h"

#include <string>
#include <string_view>
#include <vector>

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

// KeyPatternMatches rejects on the last component and the component count
// before matching: on every pair of a generated set it agrees with the rule
// written out (same count, each component by KeyComponentMatches).
TEST(KeyPattern, QuickRejectsAgreeWithComponentMatching) {
  auto split = [](std::string_view s) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t dot = s.find('.'); dot != std::string_view::npos; dot = s.find('.', start)) {
      parts.push_back(s.substr(start, dot - start));
      start = dot + 1;
    }
    parts.push_back(s.substr(start));
    return parts;
  };
  auto reference = [&](std::string_view pattern, std::string_view key) {
    std::vector<std::string_view> p = split(pattern), k = split(key);
    if (p.size() != k.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (!KeyComponentMatches(p[i], k[i])) return false;
    }
    return true;
  };
  const std::vector<std::string> parts = {"", "0", "12", "weight", "bias", "w", "*", "layer*", "*t", "we*ht", "**"};
  std::vector<std::string> texts;
  for (const std::string& a : parts) {
    texts.push_back(a);
    for (const std::string& b : parts) {
      texts.push_back(a + "." + b);
      for (const std::string& c : {std::string("weight"), std::string("*"), std::string("")}) {
        texts.push_back(a + "." + b + "." + c);
      }
    }
  }
  size_t matched = 0;
  for (const std::string& pattern : texts) {
    for (const std::string& key : texts) {
      if (key.find('*') != std::string::npos) continue;  // keys are real names
      const bool expected = pattern.find('*') == std::string::npos ? pattern == key : reference(pattern, key);
      ASSERT_EQ(KeyPatternMatches(pattern, key), expected) << pattern << " vs " << key;
      matched += expected ? 1 : 0;
    }
  }
  EXPECT_GT(matched, 1000u);  // the set exercises matches, not only rejections
}

}  // namespace
}  // namespace ptlint
