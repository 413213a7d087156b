// The layer catalogue against real torch: every entry, several argument
// sets, keys (in order), shapes and _metadata versions must be identical.
#include "analyzer/python/layer_catalog.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analyzer/python/state_dict_prediction.h"
#include "analyzer/python/torch_nn_names.h"

namespace ptlint {
namespace {

using nlohmann::json;

// {name, target, args, kwargs}. Positional args exercise signature binding.
const char* kCases = R"json([
 {"name": "Linear(10,5)", "target": "torch.nn.Linear", "args": [10, 5]},
 {"name": "Linear(10,5,bias=False)", "target": "torch.nn.Linear", "args": [10, 5], "kwargs": {"bias": false}},
 {"name": "Linear(kw)", "target": "torch.nn.Linear", "kwargs": {"out_features": 3, "in_features": 7}},
 {"name": "Bilinear(3,4,5)", "target": "torch.nn.Bilinear", "args": [3, 4, 5]},
 {"name": "Bilinear(3,4,5,False)", "target": "torch.nn.Bilinear", "args": [3, 4, 5, false]},
 {"name": "Conv1d(4,8,3)", "target": "torch.nn.Conv1d", "args": [4, 8, 3]},
 {"name": "Conv2d(4,8,(3,5),groups=2)", "target": "torch.nn.Conv2d", "args": [4, 8, [3, 5]], "kwargs": {"groups": 2}},
 {"name": "Conv2d positional groups", "target": "torch.nn.Conv2d", "args": [6, 12, 3, 1, 1, 1, 3, false]},
 {"name": "Conv3d(4,8,3,groups=4,bias=False)", "target": "torch.nn.Conv3d", "args": [4, 8, 3], "kwargs": {"groups": 4, "bias": false}},
 {"name": "ConvTranspose1d(6,3,5)", "target": "torch.nn.ConvTranspose1d", "args": [6, 3, 5]},
 {"name": "ConvTranspose2d(4,8,3,groups=2)", "target": "torch.nn.ConvTranspose2d", "args": [4, 8, 3], "kwargs": {"groups": 2}},
 {"name": "ConvTranspose3d(2,4,(1,2,3))", "target": "torch.nn.ConvTranspose3d", "args": [2, 4, [1, 2, 3]], "kwargs": {"bias": false}},
 {"name": "BatchNorm1d(7)", "target": "torch.nn.BatchNorm1d", "args": [7]},
 {"name": "BatchNorm2d(7,affine=False)", "target": "torch.nn.BatchNorm2d", "args": [7], "kwargs": {"affine": false}},
 {"name": "BatchNorm3d(7,track=False)", "target": "torch.nn.BatchNorm3d", "args": [7], "kwargs": {"track_running_stats": false}},
 {"name": "SyncBatchNorm(7)", "target": "torch.nn.SyncBatchNorm", "args": [7]},
 {"name": "InstanceNorm1d(7)", "target": "torch.nn.InstanceNorm1d", "args": [7]},
 {"name": "InstanceNorm2d(7,affine,track)", "target": "torch.nn.InstanceNorm2d", "args": [7], "kwargs": {"affine": true, "track_running_stats": true}},
 {"name": "InstanceNorm3d(5,affine)", "target": "torch.nn.InstanceNorm3d", "args": [5], "kwargs": {"affine": true}},
 {"name": "LayerNorm((4,6))", "target": "torch.nn.LayerNorm", "args": [[4, 6]]},
 {"name": "LayerNorm(6)", "target": "torch.nn.LayerNorm", "args": [6]},
 {"name": "LayerNorm(6,elementwise_affine=False)", "target": "torch.nn.LayerNorm", "args": [6], "kwargs": {"elementwise_affine": false}},
 {"name": "GroupNorm(2,6)", "target": "torch.nn.GroupNorm", "args": [2, 6]},
 {"name": "GroupNorm(3,6,affine=False)", "target": "torch.nn.GroupNorm", "args": [3, 6], "kwargs": {"affine": false}},
 {"name": "Embedding(100,16,padding_idx=0)", "target": "torch.nn.Embedding", "args": [100, 16], "kwargs": {"padding_idx": 0}},
 {"name": "EmbeddingBag(100,16)", "target": "torch.nn.EmbeddingBag", "args": [100, 16]},
 {"name": "PReLU()", "target": "torch.nn.PReLU"},
 {"name": "PReLU(8)", "target": "torch.nn.PReLU", "args": [8]},
 {"name": "RNN(10,20,num_layers=2)", "target": "torch.nn.RNN", "args": [10, 20], "kwargs": {"num_layers": 2}},
 {"name": "RNN(10,20,3,relu,bias=False)", "target": "torch.nn.RNN", "args": [10, 20, 3], "kwargs": {"nonlinearity": "relu", "bias": false}},
 {"name": "GRU(10,20,bidirectional=True)", "target": "torch.nn.GRU", "args": [10, 20], "kwargs": {"bidirectional": true}},
 {"name": "GRU(3,4,2,True,True)", "target": "torch.nn.GRU", "args": [3, 4, 2, true, true]},
 {"name": "LSTM(10,20,2,bidir,proj=5)", "target": "torch.nn.LSTM", "args": [10, 20], "kwargs": {"num_layers": 2, "bidirectional": true, "proj_size": 5}},
 {"name": "LSTM(10,20,bias=False)", "target": "torch.nn.LSTM", "args": [10, 20], "kwargs": {"bias": false}},
 {"name": "LSTM(10,20,3)", "target": "torch.nn.LSTM", "args": [10, 20, 3]},
 {"name": "RNNCell(10,20)", "target": "torch.nn.RNNCell", "args": [10, 20]},
 {"name": "LSTMCell(10,20)", "target": "torch.nn.LSTMCell", "args": [10, 20]},
 {"name": "GRUCell(10,20,bias=False)", "target": "torch.nn.GRUCell", "args": [10, 20], "kwargs": {"bias": false}},
 {"name": "MultiheadAttention(16,4)", "target": "torch.nn.MultiheadAttention", "args": [16, 4]},
 {"name": "MultiheadAttention(16,4,kdim,vdim,bias_kv)", "target": "torch.nn.MultiheadAttention", "args": [16, 4], "kwargs": {"kdim": 8, "vdim": 12, "add_bias_kv": true}},
 {"name": "MultiheadAttention(16,4,bias=False)", "target": "torch.nn.MultiheadAttention", "args": [16, 4], "kwargs": {"bias": false}},
 {"name": "MultiheadAttention(8,2,kdim=8)", "target": "torch.nn.MultiheadAttention", "args": [8, 2], "kwargs": {"kdim": 8, "vdim": 8}},
 {"name": "TransformerEncoderLayer(16,4,32)", "target": "torch.nn.TransformerEncoderLayer", "args": [16, 4], "kwargs": {"dim_feedforward": 32}},
 {"name": "TransformerDecoderLayer(16,4,32)", "target": "torch.nn.TransformerDecoderLayer", "args": [16, 4, 32]},
 {"name": "Transformer(small)", "target": "torch.nn.Transformer", "kwargs": {"d_model": 16, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 24}},
 {"name": "CrossEntropyLoss()", "target": "torch.nn.CrossEntropyLoss"},
 {"name": "BCEWithLogitsLoss()", "target": "torch.nn.BCEWithLogitsLoss"},
 {"name": "ReLU()", "target": "torch.nn.ReLU"},
 {"name": "Dropout(0.2)", "target": "torch.nn.Dropout", "args": [0.2]},
 {"name": "MaxPool2d(2)", "target": "torch.nn.MaxPool2d", "args": [2]},
 {"name": "Identity()", "target": "torch.nn.Identity"},
 {"name": "Flatten()", "target": "torch.nn.Flatten"}
])json";

std::vector<std::string> KeysOf(const json& real) {
  std::vector<std::string> keys;
  for (const auto& k : real["keys"]) keys.push_back(k[0].get<std::string>());
  return keys;
}

class LayerCatalogTorchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("ptlint_layer_catalog_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "spec.json") << kCases;
    std::string cmd = std::string(PTLINT_PYTHON) + " " + PTLINT_SOURCE_DIR + "/tests/realcode/dump_state_dicts.py " +
                      (dir / "spec.json").string() + " " + (dir / "out.json").string();
    int rc = std::system(cmd.c_str());
    ASSERT_EQ(rc, 0) << cmd;
    std::ifstream in(dir / "out.json");
    real_ = new json(json::parse(in));
    fs::remove_all(dir);
  }
  static void TearDownTestSuite() { delete real_; }
  static json* real_;
};
json* LayerCatalogTorchTest::real_ = nullptr;

TEST_F(LayerCatalogTorchTest, EveryEntryMatchesTorchExactly) {
  ModuleIndex empty;
  int compared = 0;
  for (const auto& c : json::parse(kCases)) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    ASSERT_TRUE(real_->contains(name));
    const json& real = (*real_)[name];
    ASSERT_TRUE(real["error"].is_null()) << real["error"];
    PredictOptions options;
    if (c.contains("args")) {
      for (size_t i = 0; i < c["args"].size(); ++i) options.args[std::to_string(i)] = c["args"][i];
    }
    if (c.contains("kwargs")) {
      for (auto it = c["kwargs"].begin(); it != c["kwargs"].end(); ++it) options.args[it.key()] = it.value();
    }
    auto predicted = PredictStateDict(empty, c["target"], options);
    ASSERT_TRUE(predicted.ok()) << predicted.error().message;
    EXPECT_EQ(predicted->confidence, Confidence::kExact);
    std::vector<std::string> predicted_keys;
    for (const auto& k : predicted->keys) {
      if (k.persistent) predicted_keys.push_back(k.key);
    }
    EXPECT_EQ(predicted_keys, KeysOf(real));
    for (const auto& k : predicted->keys) {
      for (const auto& r : real["keys"]) {
        if (r[0] != k.key) continue;
        ASSERT_TRUE(k.shape.Concrete()) << k.key << " " << k.shape.ToString();
        std::vector<int64_t> shape;
        for (const auto& d : k.shape.dims) shape.push_back(*d.value);
        EXPECT_EQ(shape, r[1].get<std::vector<int64_t>>()) << k.key;
        EXPECT_EQ(k.kind == KeyKind::kParameter ? "parameter" : "buffer", r[2].get<std::string>()) << k.key;
      }
    }
    std::map<std::string, int64_t> real_meta, predicted_meta;
    for (auto it = real["metadata"].begin(); it != real["metadata"].end(); ++it) real_meta[it.key()] = it.value();
    for (const auto& m : predicted->metadata) predicted_meta[m.path] = m.version;
    EXPECT_EQ(predicted_meta, real_meta);
    ++compared;
  }
  EXPECT_GE(compared, 50);
}

TEST(LayerCatalog, EveryStubIsAKnownLayerAndParameterlessOnesHaveNoKeys) {
  const LayerCatalog& catalog = LayerCatalog::Get();
  EXPECT_GE(catalog.StubbedLayers().size(), 35u);
  EXPECT_TRUE(catalog.IsKnown("Conv2d"));
  EXPECT_TRUE(catalog.IsKnown("ReLU"));
  EXPECT_FALSE(catalog.IsKnown("NotALayer"));
  ModuleIndex empty;
  for (const auto& name : catalog.parameterless()) {
    auto p = PredictStateDict(empty, "torch.nn." + name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_TRUE(p->keys.empty()) << name;
    ASSERT_EQ(p->metadata.size(), 1u) << name;
  }
}

// The stubs are torch_nn_layers.py, embedded at build time: the binary's
// text is the file's, and the file is Python that Python itself parses.
TEST(LayerCatalog, EmbeddedStubsAreTheCheckedInPythonFile) {
  const std::string path = std::string(PTLINT_SOURCE_DIR) + "/analyzer/python/torch_nn_layers.py";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), LayerCatalog::StubSource());
  // ast.parse, not py_compile: nothing is written beside the source.
  const std::string cmd = std::string(PTLINT_PYTHON) +
                          " -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' " + path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// torch_nn_names.cc lists the stubbed layers for the module index (which
// must not depend on the catalogue): the list and the stubs agree.
TEST(LayerCatalog, NameListsAgreeWithTheCatalogue) {
  const LayerCatalog& catalog = LayerCatalog::Get();
  std::vector<std::string> listed(TorchNnStubbedLayers().begin(), TorchNnStubbedLayers().end());
  EXPECT_EQ(listed, catalog.StubbedLayers());
  for (const auto& name : catalog.StubbedLayers()) {
    EXPECT_NE(catalog.FindStub(name), nullptr) << name;
    EXPECT_TRUE(IsTorchNnLayer(name)) << name;
  }
  for (const auto& name : catalog.parameterless()) EXPECT_TRUE(IsTorchNnLayer(name)) << name;
  for (const char* name : TorchNnContainers()) EXPECT_TRUE(catalog.IsKnown(name)) << name;
  for (const char* name : {"NotALayer", "_ConvNd", "_NormBase", "Identity2", ""}) {
    EXPECT_EQ(IsTorchNnLayer(name), catalog.IsKnown(name)) << name;
  }
}

TEST(LayerCatalog, SymbolicArgumentsKeepTheirNames) {
  // Without arguments, Linear's weight is (out_features, in_features).
  ModuleIndex empty;
  auto p = PredictStateDict(empty, "torch.nn.Linear");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->keys.size(), 2u);
  EXPECT_EQ(p->keys[0].key, "weight");
  EXPECT_EQ(p->keys[0].shape.ToString(), "(out_features, in_features)");
  EXPECT_EQ(p->keys[0].shape.dims[0].args, std::vector<std::string>{"out_features"});
  EXPECT_FALSE(p->keys[0].shape.dims[0].value.has_value());
  EXPECT_EQ(p->confidence, Confidence::kPartial);
}

}  // namespace
}  // namespace ptlint
