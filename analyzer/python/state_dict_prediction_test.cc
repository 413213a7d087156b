#include "analyzer/python/state_dict_prediction.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

const char kModel[] = R"py(
import torch
import torch.nn as nn
from collections import OrderedDict


class Block(nn.Module):
    def __init__(self, c, use_bn=True):
        super().__init__()
        self.conv = nn.Conv2d(c, c * 2, 3, bias=not use_bn)
        if use_bn:
            self.bn = nn.BatchNorm2d(c * 2)
        self.scale = nn.Parameter(torch.ones(c * 2))
        self.register_buffer("mask", torch.zeros(1, c), persistent=False)
        self.register_buffer("table", torch.zeros(c))
        self.slot = None


class Net(nn.Module):
    def __init__(self, num_classes=10, width=4, depth=2, head=None):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(1, width))
        layers = []
        for i in range(depth):
            layers.append(Block(width))
            layers.append(nn.ReLU())
        self.body = nn.Sequential(*layers)
        self.named = nn.Sequential(OrderedDict([("fc", nn.Linear(width, 3)), ("act", nn.ReLU())]))
        self.heads = nn.ModuleList([nn.Linear(width, num_classes) for _ in range(2)])
        self.dict = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Identity()})
        self._extra(width)
        self.pos = nn.Parameter(torch.zeros(2, width))  # keeps its first position
        self.head = head

    def _extra(self, w):
        for i in range(2):
            self.add_module(f"extra{i}", nn.LayerNorm(w))


class Dyn(nn.Module):
    def __init__(self, n, flag):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(n)])
        if flag:
            self.opt = nn.Linear(2, 2)
        setattr(self, some_name(), nn.Linear(1, 1))


class Sub(Net):
    _version = 5

    def __init__(self):
        super().__init__(num_classes=3, depth=1)
        self.tail = nn.Linear(4, 4)
)py";

class PredictionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("ptlint_prediction_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    std::ofstream(*dir_ / "model.py") << kModel;
    index_ = new ModuleIndex(ModuleIndex::Build({dir_->string()}, DiscoveryOptions{}, nullptr));
  }
  static void TearDownTestSuite() {
    delete index_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::vector<std::string> Keys(const ExpectedStateDict& e, bool persistent_only = true) {
    std::vector<std::string> keys;
    for (const auto& k : e.keys) {
      if (!persistent_only || k.persistent) keys.push_back(k.key);
    }
    return keys;
  }
  static const PredictedKey* Find(const ExpectedStateDict& e, const std::string& key) {
    for (const auto& k : e.keys) {
      if (k.key == key) return &k;
    }
    return nullptr;
  }
  static fs::path* dir_;
  static ModuleIndex* index_;
};
fs::path* PredictionTest::dir_ = nullptr;
ModuleIndex* PredictionTest::index_ = nullptr;

TEST_F(PredictionTest, NetKeysInTorchOrderWithShapesAndProvenance) {
  auto p = PredictStateDict(*index_, "model.Net");
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::vector<std::string> expected = {
      "pos",
      "body.0.scale", "body.0.table", "body.0.conv.weight", "body.0.bn.weight", "body.0.bn.bias",
      "body.0.bn.running_mean", "body.0.bn.running_var", "body.0.bn.num_batches_tracked",
      "body.2.scale", "body.2.table", "body.2.conv.weight", "body.2.bn.weight", "body.2.bn.bias",
      "body.2.bn.running_mean", "body.2.bn.running_var", "body.2.bn.num_batches_tracked",
      "named.fc.weight", "named.fc.bias",
      "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias",
      "dict.b.weight", "dict.b.bias",
      "extra0.weight", "extra0.bias", "extra1.weight", "extra1.bias"};
  EXPECT_EQ(Keys(*p), expected);
  // The non-persistent buffer is listed, marked, and not in the state dict.
  const PredictedKey* mask = Find(*p, "body.0.mask");
  ASSERT_NE(mask, nullptr);
  EXPECT_FALSE(mask->persistent);
  EXPECT_EQ(mask->kind, KeyKind::kBuffer);
  // Reassignment keeps the position but takes the new shape.
  const PredictedKey* pos = Find(*p, "pos");
  EXPECT_EQ(pos->shape.ToString(), "(2, 4)");
  EXPECT_EQ(pos->shape.dims[1].expr, "width");
  EXPECT_EQ(pos->shape.dims[1].args, std::vector<std::string>{"width"});
  const PredictedKey* head = Find(*p, "heads.1.weight");
  EXPECT_EQ(head->shape.ToString(), "(10, 4)");
  EXPECT_EQ(head->shape.dims[0].expr, "num_classes");
  EXPECT_EQ(head->location.line, 29u);  // the ModuleList line in the source
  const PredictedKey* conv = Find(*p, "body.0.conv.weight");
  EXPECT_EQ(conv->shape.ToString(), "(8, 4, 3, 3)");
  EXPECT_EQ(conv->owner_class, "torch.nn.Conv2d");
  EXPECT_EQ(conv->location.line, 10u);
  EXPECT_EQ(Find(*p, "body.0.scale")->owner_class, "model.Block");
  // `self.head = head` with head=None: nothing, and nothing open.
  EXPECT_EQ(p->confidence, Confidence::kExact);
  // _metadata: every module including parameter-less ones, BN version 2.
  std::map<std::string, int64_t> meta;
  for (const auto& m : p->metadata) meta[m.path] = m.version;
  EXPECT_EQ(meta.at(""), 1);
  EXPECT_EQ(meta.at("body.1"), 1);
  EXPECT_EQ(meta.at("body.0.bn"), 2);
  EXPECT_EQ(meta.at("dict.a"), 1);
}

TEST_F(PredictionTest, ArgumentsBindAndChangeKeys) {
  PredictOptions options;
  options.args["depth"] = 1;
  options.args["0"] = 7;  // num_classes, positionally
  auto p = PredictStateDict(*index_, "model.Net", options);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Find(*p, "body.2.scale"), nullptr);
  EXPECT_EQ(Find(*p, "heads.0.weight")->shape.ToString(), "(7, 4)");
}

TEST_F(PredictionTest, UnknownConditionsLoopsAndDynamicNamesAreHonest) {
  auto p = PredictStateDict(*index_, "model.Dyn");
  ASSERT_TRUE(p.ok());
  // n unknown: the ModuleList children are a pattern.
  const PredictedKey* blocks = Find(*p, "blocks.*.weight");
  ASSERT_NE(blocks, nullptr);
  EXPECT_TRUE(blocks->is_pattern);
  EXPECT_EQ(blocks->shape.ToString(), "(8, 8)");
  // flag unknown: optional, not contradicted by its absence.
  const PredictedKey* opt = Find(*p, "opt.weight");
  ASSERT_NE(opt, nullptr);
  EXPECT_TRUE(opt->optional);
  // setattr with a name that cannot be known: the whole module is open.
  EXPECT_EQ(p->confidence, Confidence::kOpen);
  bool open_root = false;
  for (const auto& o : p->open) open_root = open_root || o.prefix.empty();
  EXPECT_TRUE(open_root);
}

TEST_F(PredictionTest, InheritanceAndAdvisories) {
  auto p = PredictStateDict(*index_, "model.Sub");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Find(*p, "body.2.scale"), nullptr);  // depth=1
  EXPECT_EQ(Find(*p, "heads.0.weight")->shape.ToString(), "(3, 4)");
  EXPECT_EQ(Keys(*p).back(), "tail.bias");
  EXPECT_EQ(p->metadata[0].version, 5);
  ASSERT_FALSE(p->advisories.empty());
}

TEST_F(PredictionTest, HostileSourceTerminates) {
  fs::path dir = *dir_ / "hostile";
  fs::create_directories(dir);
  // Unbounded recursion and a huge loop: bounded by depth and budget.
  std::ofstream(dir / "h.py") << "import torch.nn as nn\n"
                                 "def f(n):\n    return f(n + 1)\n"
                                 "class R(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                                 "        self.x = f(0)\n"
                                 "        self.l = nn.ModuleList([nn.Linear(1, 1) for _ in range(10**9)])\n"
                                 "class S(S):\n    pass\n";
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  auto p = PredictStateDict(index, "h.R");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->confidence, Confidence::kOpen);
  EXPECT_NE(Find(*p, "l.*.weight"), nullptr);
  const ClassInfo* s = index.FindClass("h.S");
  ASSERT_NE(s, nullptr);
  EXPECT_NE(index.Classify(*s).kind, ModuleKind::kModule);
}

// Classes reached through an imported module object, in its three spellings
// (`from . import blocks`, `import pkg.blocks as pb`, `import pkg.blocks`),
// and a factory function called as the root.
TEST_F(PredictionTest, ClassesThroughModuleObjectsAndFactories) {
  fs::path dir = *dir_ / "modobj";
  fs::create_directories(dir / "pkg");
  std::ofstream(dir / "pkg" / "__init__.py") << "";
  std::ofstream(dir / "pkg" / "blocks.py") << "import torch.nn as nn\n"
                                              "class Block(nn.Module):\n"
                                              "    def __init__(self, width):\n"
                                              "        super().__init__()\n"
                                              "        self.fc = nn.Linear(width, width)\n";
  std::ofstream(dir / "pkg" / "model.py") << "import torch.nn as nn\n"
                                             "from . import blocks\n"
                                             "import pkg.blocks as pb\n"
                                             "import pkg.blocks\n"
                                             "class Net(nn.Module):\n"
                                             "    def __init__(self, width=4):\n"
                                             "        super().__init__()\n"
                                             "        self.a = blocks.Block(width)\n"
                                             "        self.b = pb.Block(2)\n"
                                             "        self.c = pkg.blocks.Block(3)\n"
                                             "def build(w):\n"
                                             "    return Net(width=w * 2)\n";
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  auto p = PredictStateDict(index, "pkg.model.Net");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(Keys(*p), (std::vector<std::string>{"a.fc.weight", "a.fc.bias", "b.fc.weight", "b.fc.bias",
                                                "c.fc.weight", "c.fc.bias"}));
  EXPECT_EQ(p->confidence, Confidence::kExact);
  PredictOptions options;
  options.args["0"] = 5;
  auto built = PredictStateDict(index, "pkg.model.build", options);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->class_name, "pkg.model.Net");
  const PredictedKey* w = Find(*built, "a.fc.weight");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->shape.dims.size(), 2u);
  EXPECT_EQ(w->shape.dims[0].value, std::optional<int64_t>(10));
  EXPECT_EQ(w->shape.dims[0].args, std::vector<std::string>{"w"});
}

}  // namespace
}  // namespace ptlint
