#include "analyzer/python/load_key_rewrite.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(LoadKeyRewriteTest, RegexRewriteRenamesEveryInstance) {
  auto r = MakeRegexRewrite(R"(^layers\.(\d+)\.attn\.)", R"(layers.\g<1>.attention.)");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Apply("layers.0.attn.weight"), "layers.0.attention.weight");
  EXPECT_EQ(r->Apply("layers.11.attn.bias"), "layers.11.attention.bias");
  EXPECT_EQ(r->Apply("layers.11.mlp.bias"), "layers.11.mlp.bias");
  EXPECT_EQ(r->Apply("xlayers.1.attn.bias"), "xlayers.1.attn.bias");  // anchored
  auto backref = MakeRegexRewrite(R"(^h\.(\d+)\.c_attn\.)", R"(h.\1.attn.)");
  ASSERT_TRUE(backref.has_value());
  EXPECT_EQ(backref->Apply("h.3.c_attn.weight"), "h.3.attn.weight");
  auto dollar = MakeRegexRewrite("^a", "$b");
  ASSERT_TRUE(dollar.has_value());
  EXPECT_EQ(dollar->Apply("ax"), "$bx");
}

TEST(LoadKeyRewriteTest, RefusesWhatEcmaScriptReadsDifferently) {
  EXPECT_FALSE(MakeRegexRewrite(R"((?P<n>\d+))", R"(\g<n>)").has_value());
  EXPECT_FALSE(MakeRegexRewrite(R"(\Aenc)", "x").has_value());
  EXPECT_FALSE(MakeRegexRewrite(R"((?<=a)b)", "x").has_value());
  EXPECT_FALSE(MakeRegexRewrite("(", "x").has_value());
  EXPECT_FALSE(MakeRegexRewrite("a", R"(\n)").has_value());
}

TEST(LoadKeyRewriteTest, PrefixAndFilter) {
  LoadKeyRewrite strip;
  strip.kind = LoadKeyRewrite::Kind::kPrefix;
  strip.from = "module.";
  EXPECT_EQ(strip.Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(strip.Apply("fc.weight"), "fc.weight");
  LoadKeyRewrite add;
  add.kind = LoadKeyRewrite::Kind::kPrefix;
  add.to = "backbone.";
  EXPECT_EQ(add.Apply("fc.weight"), "backbone.fc.weight");
  LoadKeyRewrite drop;
  drop.has_filter = true;
  drop.keep_if_starts = false;
  drop.filter_prefix = "head.";
  EXPECT_EQ(drop.Apply("head.weight"), std::nullopt);
  EXPECT_EQ(drop.Apply("body.weight"), "body.weight");
}

TEST(LoadKeyRewriteTest, ReplaceIsPythonsStrReplace) {
  LoadKeyRewrite r;
  r.kind = LoadKeyRewrite::Kind::kReplace;
  r.from = "module.";
  EXPECT_EQ(r.Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(r.Apply("encoder.module.fc.weight"), "encoder.fc.weight");  // anywhere, not only a prefix
  EXPECT_EQ(r.Apply("module.module.fc"), "fc");
  EXPECT_EQ(r.Apply("fc.weight"), "fc.weight");
  r.replace_count = 1;
  EXPECT_EQ(r.Apply("module.module.fc"), "module.fc");
  r.replace_count = 0;
  EXPECT_EQ(r.Apply("module.fc"), "module.fc");
  LoadKeyRewrite overlap;
  overlap.kind = LoadKeyRewrite::Kind::kReplace;
  overlap.from = "aa";
  overlap.to = "b";
  EXPECT_EQ(overlap.Apply("aaa"), "ba");  // left to right, no overlap: "aaa".replace("aa", "b")
}

TEST(LoadKeyRewriteTest, EscapesPythonMetacharacters) {
  EXPECT_EQ(PythonRegexEscape("layers.0"), R"(layers\.0)");
  EXPECT_EQ(PythonRegexEscape("a(b)"), R"(a\(b\))");
}

}  // namespace
}  // namespace ptlint
