// The source model on real code nobody here wrote.
//
// torchaudio 0.13's models (Debian python3-torchaudio) and torch 1.13's own
// torch/nn/modules classes are instantiated with real torch (random init,
// small configurations) by tests/realcode/dump_state_dicts.py; ptlint predicts
// the same state dicts from the installed source, given the same constructor
// (or factory-function) arguments. Models built by factories
// (`wav2vec2_model(...)`, `emformer_rnnt_model(...)`, `wav2vec2_base()`) are
// predicted by interpreting the factory body.
//
// Zero contradictions is a hard failure (see expected_state_dict_match.h for
// what counts). Coverage (real keys named by an exact or pattern prediction)
// is printed per model and in total, and must not fall below a floor.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "analyzer/analysis/expected_state_dict_match.h"
#include "analyzer/python/module_index.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char kTorchaudio[] = "/usr/lib/python3/dist-packages/torchaudio";
const char kTorchNn[] = "/usr/lib/python3/dist-packages/torch/nn";

// Measured floors (see the report); they may only go up.
constexpr double kTorchaudioCoverageFloor = 0.99;  // measured 839/843 = 99.5 %
constexpr double kTorchNnCoverageFloor = 0.99;  // measured 86/86

// torch.nn classes predicted from torch's own source (not the catalogue).
const char* kTorchNnCases = R"json([
 {"name": "Linear", "target": "torch.nn.modules.linear.Linear", "kwargs": {"in_features": 6, "out_features": 3}},
 {"name": "Linear-nobias", "target": "torch.nn.modules.linear.Linear", "args": [6, 3, false]},
 {"name": "Bilinear", "target": "torch.nn.modules.linear.Bilinear", "args": [2, 3, 4]},
 {"name": "Conv1d", "target": "torch.nn.modules.conv.Conv1d", "args": [4, 8, 3]},
 {"name": "Conv2d-groups", "target": "torch.nn.modules.conv.Conv2d", "args": [4, 8, [3, 5]], "kwargs": {"groups": 2}},
 {"name": "ConvTranspose2d", "target": "torch.nn.modules.conv.ConvTranspose2d", "args": [4, 8, 3], "kwargs": {"groups": 2}},
 {"name": "BatchNorm2d", "target": "torch.nn.modules.batchnorm.BatchNorm2d", "args": [7]},
 {"name": "BatchNorm1d-noaffine", "target": "torch.nn.modules.batchnorm.BatchNorm1d", "args": [7], "kwargs": {"affine": false}},
 {"name": "InstanceNorm1d", "target": "torch.nn.modules.instancenorm.InstanceNorm1d", "args": [7], "kwargs": {"affine": true}},
 {"name": "LayerNorm", "target": "torch.nn.modules.normalization.LayerNorm", "args": [[4, 6]]},
 {"name": "GroupNorm", "target": "torch.nn.modules.normalization.GroupNorm", "args": [2, 6]},
 {"name": "Embedding", "target": "torch.nn.modules.sparse.Embedding", "args": [100, 16]},
 {"name": "EmbeddingBag", "target": "torch.nn.modules.sparse.EmbeddingBag", "args": [10, 4]},
 {"name": "PReLU", "target": "torch.nn.modules.activation.PReLU", "args": [5]},
 {"name": "MultiheadAttention", "target": "torch.nn.modules.activation.MultiheadAttention", "args": [16, 4]},
 {"name": "MultiheadAttention-kv", "target": "torch.nn.modules.activation.MultiheadAttention", "args": [16, 4], "kwargs": {"kdim": 8, "vdim": 12, "add_bias_kv": true}},
 {"name": "TransformerEncoderLayer", "target": "torch.nn.modules.transformer.TransformerEncoderLayer", "args": [16, 4, 32]},
 {"name": "TransformerDecoderLayer", "target": "torch.nn.modules.transformer.TransformerDecoderLayer", "args": [16, 4, 32]},
 {"name": "LSTMCell", "target": "torch.nn.modules.rnn.LSTMCell", "args": [10, 20]},
 {"name": "GRUCell", "target": "torch.nn.modules.rnn.GRUCell", "args": [10, 20]},
 {"name": "LSTM", "target": "torch.nn.modules.rnn.LSTM", "args": [10, 20, 2]},
 {"name": "Sequential-like ReLU", "target": "torch.nn.modules.activation.ReLU"}
])json";

json RunTorch(const json& cases) {
  fs::path dir = fs::temp_directory_path() / ("ptlint_realcode_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "spec.json") << cases.dump();
  std::string cmd = std::string(PTLINT_PYTHON) + " " + PTLINT_SOURCE_DIR + "/tests/realcode/dump_state_dicts.py " +
                    (dir / "spec.json").string() + " " + (dir / "out.json").string();
  if (std::system(cmd.c_str()) != 0) return json();
  std::ifstream in(dir / "out.json");
  json out = json::parse(in, nullptr, false);
  fs::remove_all(dir);
  return out;
}

struct Totals {
  size_t keys = 0, exact = 0, pattern = 0, open = 0, contradictions = 0;
};

void Compare(const ModuleIndex& index, const json& cases, const json& real, bool prefer_catalog, Totals* totals) {
  std::printf("%-26s %6s %6s %7s %6s %8s  %s\n", "model", "keys", "exact", "pattern", "open", "coverage",
              "confidence");
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    ASSERT_TRUE(real.contains(name));
    const json& r = real[name];
    ASSERT_TRUE(r["error"].is_null()) << r["error"];
    PredictOptions options;
    options.prefer_catalog = prefer_catalog;
    if (c.contains("args")) {
      for (size_t i = 0; i < c["args"].size(); ++i) options.args[std::to_string(i)] = c["args"][i];
    }
    if (c.contains("kwargs")) {
      for (auto it = c["kwargs"].begin(); it != c["kwargs"].end(); ++it) options.args[it.key()] = it.value();
    }
    auto predicted = PredictStateDict(index, c["target"], options);
    ASSERT_TRUE(predicted.ok()) << predicted.error().code << ": " << predicted.error().message;
    std::vector<ActualKey> actual;
    for (const auto& k : r["keys"]) actual.push_back({k[0], k[1].get<std::vector<int64_t>>()});
    std::map<std::string, std::optional<int64_t>> meta;
    for (auto it = r["metadata"].begin(); it != r["metadata"].end(); ++it) {
      meta[it.key()] = it.value().is_null() ? std::nullopt : std::optional<int64_t>(it.value().get<int64_t>());
    }
    StateDictMatch m = MatchStateDict(*predicted, actual, meta);
    std::printf("%-26s %6zu %6zu %7zu %6zu %7.1f%%  %s\n", name.c_str(), m.actual_keys, m.covered_exact,
                m.covered_pattern, m.covered_open, 100.0 * m.Coverage(), ConfidenceName(predicted->confidence));
    for (const auto& why : m.contradictions) ADD_FAILURE() << "contradiction: " << why;
    if (std::getenv("PTLINT_REALCODE_VERBOSE")) {
      for (const auto& u : m.uncovered) std::printf("    uncovered: %s\n", u.c_str());
      for (const auto& o : predicted->open) std::printf("    open %s: %s (%s:%u)\n", o.prefix.c_str(), o.reason.c_str(), o.location.path.c_str(), o.location.line);
    }
    totals->keys += m.actual_keys;
    totals->exact += m.covered_exact;
    totals->pattern += m.covered_pattern;
    totals->open += m.covered_open;
    totals->contradictions += m.contradictions.size();
  }
  std::printf("%-26s %6zu %6zu %7zu %6zu %7.1f%%\n", "TOTAL", totals->keys, totals->exact, totals->pattern,
              totals->open, totals->keys ? 100.0 * (totals->exact + totals->pattern) / totals->keys : 0.0);
  std::fflush(stdout);
}

TEST(SourceModelRealCode, TorchaudioModels) {
  if (!fs::exists(kTorchaudio)) GTEST_SKIP() << "python3-torchaudio is not installed";
  std::ifstream in(std::string(PTLINT_SOURCE_DIR) + "/tests/realcode/torchaudio_cases.json");
  json cases = json::parse(in);
  json real = RunTorch(cases);
  ASSERT_FALSE(real.is_null() || real.is_discarded()) << "dump_state_dicts.py failed";
  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({kTorchaudio}, DiscoveryOptions{}, &problems);
  ASSERT_NE(index.FindClass("torchaudio.models.conformer.Conformer"), nullptr);
  Totals totals;
  Compare(index, cases, real, true, &totals);
  EXPECT_EQ(totals.contradictions, 0u);
  // Floor: the coverage measured when this test was written (see the report);
  // it may only go up.
  EXPECT_GE(static_cast<double>(totals.exact + totals.pattern) / totals.keys, kTorchaudioCoverageFloor);
}

TEST(SourceModelRealCode, TorchNnModulesFromTheirOwnSource) {
  if (!fs::exists(kTorchNn)) GTEST_SKIP() << "python3-torch is not installed";
  json cases = json::parse(kTorchNnCases);
  json real = RunTorch(cases);
  ASSERT_FALSE(real.is_null() || real.is_discarded()) << "dump_state_dicts.py failed";
  std::vector<Error> problems;
  ModuleIndex index = ModuleIndex::Build({kTorchNn}, DiscoveryOptions{}, &problems);
  ASSERT_NE(index.FindClass("torch.nn.modules.linear.Linear"), nullptr);
  Totals totals;
  Compare(index, cases, real, false, &totals);
  EXPECT_EQ(totals.contradictions, 0u);
  EXPECT_GE(static_cast<double>(totals.exact + totals.pattern) / totals.keys, kTorchNnCoverageFloor);
}

}  // namespace
}  // namespace ptlint
