#include "analyzer/analysis/expected_state_dict_match.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "analyzer/python/module_index.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

TEST(ExpectedStateDictMatch, FlagsMissingExactKeysAndUnpredictedKeys) {
  // torch.nn.Linear comes from the layer catalogue: no project source needed.
  fs::path dir = fs::temp_directory_path() / ("ptlint_match_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  fs::remove_all(dir);
  auto p = PredictStateDict(index, "torch.nn.Linear", [] {
    PredictOptions o;
    o.args["0"] = 3;
    o.args["1"] = 2;
    return o;
  }());
  ASSERT_TRUE(p.ok());
  StateDictMatch ok = MatchStateDict(*p, {{"weight", {2, 3}}, {"bias", {2}}});
  EXPECT_TRUE(ok.contradictions.empty());
  EXPECT_DOUBLE_EQ(ok.Coverage(), 1.0);
  StateDictMatch missing = MatchStateDict(*p, {{"weight", {2, 3}}});
  EXPECT_EQ(missing.contradictions.size(), 1u);
  StateDictMatch extra = MatchStateDict(*p, {{"weight", {2, 3}}, {"bias", {2}}, {"gamma", {2}}});
  EXPECT_EQ(extra.contradictions.size(), 1u);  // the root was predicted exact
}

// Optional keys (under an unknown condition) and pattern keys (a list of
// unknown length) cover what they may; a wrong shape is still contradicted.
TEST(ExpectedStateDictMatch, OptionalAndPatternKeys) {
  fs::path dir = fs::temp_directory_path() / ("ptlint_match_dyn_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "model.py") << R"py(
import torch.nn as nn


class Dyn(nn.Module):
    def __init__(self, n, flag):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(n)])
        if flag:
            self.opt = nn.Linear(2, 2)
)py";
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  auto p = PredictStateDict(index, "model.Dyn");
  fs::remove_all(dir);
  ASSERT_TRUE(p.ok());
  // A state dict without `opt` is no contradiction.
  StateDictMatch m = MatchStateDict(*p, {{"blocks.0.weight", {8, 8}}, {"blocks.0.bias", {8}}});
  EXPECT_TRUE(m.contradictions.empty());
  EXPECT_EQ(m.covered_pattern, 2u);
  // A wrong shape is.
  m = MatchStateDict(*p, {{"blocks.0.weight", {8, 9}}});
  EXPECT_EQ(m.contradictions.size(), 1u);
}

}  // namespace
}  // namespace ptlint
