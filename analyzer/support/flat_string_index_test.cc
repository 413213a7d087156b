#include "analyzer/support/flat_string_index.h"

#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(FlatStringIndex, BehavesLikeAMapThroughRehashes) {
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("archive/data/" + std::to_string(i % 3000));
  FlatStringIndex index;  // no Reserve: grows from empty
  std::unordered_map<std::string, uint32_t> reference;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto [value, inserted] = index.Emplace(keys[i], static_cast<uint32_t>(i));
    auto [it, ref_inserted] = reference.emplace(keys[i], static_cast<uint32_t>(i));
    ASSERT_EQ(inserted, ref_inserted) << keys[i];
    ASSERT_EQ(value, it->second) << keys[i];
  }
  EXPECT_EQ(index.size(), 3000u);
  for (const auto& [key, value] : reference) {
    const uint32_t* got = index.Get(key);
    ASSERT_NE(got, nullptr) << key;
    EXPECT_EQ(*got, value);
  }
  EXPECT_FALSE(index.Contains("archive/data/3000"));
  EXPECT_FALSE(index.Contains(""));
  EXPECT_FALSE(FlatStringIndex().Contains("x"));
}

TEST(FlatStringIndex, EmptyKeyIsAKeyLikeAnyOther) {
  FlatStringIndex index;
  index.Reserve(4);
  EXPECT_TRUE(index.Emplace("", 7).second);
  EXPECT_FALSE(index.Emplace("", 9).second);
  ASSERT_NE(index.Get(""), nullptr);
  EXPECT_EQ(*index.Get(""), 7u);
}

}  // namespace
}  // namespace ptlint
