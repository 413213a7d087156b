#include "analyzer/python/state_dict_prediction.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/python/prediction_interpreter.h"

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

TEST_F(PredictionTest, WhereEachModuleIsBuilt) {
  auto p = PredictStateDict(*index_, "model.Net");
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::map<std::string, const MetadataEntry*> meta;
  for (const auto& m : p->metadata) meta[m.path] = &m;
  // `self.named = nn.Sequential(OrderedDict([("fc", nn.Linear(width, 3)), ...]))`
  // and each element of the comprehension: their own call (line 28/29).
  EXPECT_EQ(meta.at("named")->location.line, 28u);
  EXPECT_EQ(meta.at("named.fc")->location.line, 28u);
  EXPECT_EQ(meta.at("heads.1")->location.line, 29u);
  // Appended in `for i in range(depth)` (line 24): built on the append's
  // line (25), repeated by the loop's header.
  EXPECT_EQ(meta.at("body.0")->location.line, 25u);
  EXPECT_EQ(meta.at("body.0")->repeated_by.line, 24u);
  EXPECT_EQ(meta.at("heads.1")->repeated_by.line, 0u);  // a comprehension: its own line says it
  // Built inside a torch layer: nothing in the project to point at.
  EXPECT_EQ(meta.at("")->location.line, 0u);
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

// ---------------------------------------------------------------------------
// Construction knowledge, checked against real torch 1.13: the fixture below
// is instantiated by tests/realcode/dump_state_dicts.py and each prediction
// must name every real key (exactly or by a pattern) with no contradiction.

const char kConstructions[] = R"py(
import math
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import NamedTuple, cast

import torch
import torch.nn as nn
from somewhere_else import make_weight


class CondBias(nn.Module):
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None
        self.norm = nn.LayerNorm(4) if bias else nn.Identity()


@dataclass
class GPTConfig:
    n_layer: int = 2
    n_embd: int = 8
    bias: bool = True
    extra: list = field(default_factory=list)


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.h = nn.ModuleList([nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
                                for _ in range(config.n_layer)])


class NTConfig(NamedTuple):
    width: int = 5
    depth: int = 2


class ConfigObjects(nn.Module):
    def __init__(self):
        super().__init__()
        built = GPTConfig(n_embd=6, n_layer=3)
        nt = NTConfig(width=7)
        ns = SimpleNamespace(width=3, depth=4)
        self.a = nn.Linear(built.n_embd, built.n_layer)
        self.b = nn.Linear(nt.width, nt.depth)
        self.c = nn.Linear(ns.width, ns.depth)


class Partials(nn.Module):
    def __init__(self, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.norm = norm_layer(12)
        lin = partial(nn.Linear, bias=False)
        self.proj = lin(12, 3)


class Mixed(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(3, 8, 3)] + [nn.Linear(8, 8) for _ in range(n)])
        self.seq = nn.Sequential(nn.Conv2d(3, 8, 3), *[nn.Linear(8, 8) for _ in range(n)], nn.ReLU())
        stages = [nn.Conv2d(3, 8, 1)]
        for _ in range(n):
            stages.append(nn.Linear(8, 8))
        stages.append(nn.Conv2d(8, 16, 1))
        self.features = nn.Sequential(*stages)


class Weights:
    @classmethod
    def verify(cls, obj):
        if obj is not None:
            raise ValueError(obj)
        return obj


def _override(kwargs, name, value):
    if name in kwargs:
        if kwargs[name] != value:
            raise ValueError(name)
    else:
        kwargs[name] = value


class Wide(nn.Module):
    def __init__(self, groups=1, width=64, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(8, width * groups, 1)
        self.fc = nn.Linear(width * groups, num_classes)


def wide(*, weights=None, **kwargs):
    weights = Weights.verify(weights)
    _override(kwargs, "groups", 2)
    if weights is not None:
        _override(kwargs, "num_classes", len(weights))
    return Wide(width=4, **kwargs)


def vgg_like(cfg=(8, "M", 16)):
    layers = []
    c = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(2)]
        else:
            v = cast(int, v)
            layers += [nn.Conv2d(c, v, 3), nn.ReLU()]
            c = v
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)


class Injected(nn.Module):
    def __init__(self, encoder, classes=2):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(4, classes)


class OpenAttribute(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = make_weight()


def stage_schedule(depth, w_0, w_a, w_m, quant=8):
    # torchvision's RegNet BlockParams.from_init_params, reduced.
    widths_cont = torch.arange(depth) * w_a + w_0
    block_capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
    block_widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, block_capacity), quant)) * quant).int().tolist()
    num_stages = len(set(block_widths))
    split_helper = zip(block_widths + [0], [0] + block_widths, block_widths + [0], [0] + block_widths)
    splits = [w != wp or r != rp for w, wp, r, rp in split_helper]
    widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
    depths = torch.diff(torch.tensor([d for d, t in enumerate(splits) if t])).int().tolist()
    return widths, depths, num_stages


class Schedule(nn.Module):
    def __init__(self, depth=13, w_0=24, w_a=36.44, w_m=2.49):
        super().__init__()
        widths, depths, num_stages = stage_schedule(depth, w_0, w_a, w_m)
        self.gates = nn.Parameter(torch.zeros(num_stages))
        self.offsets = nn.Parameter((torch.arange(1, 10, 2) * 0.5 - 1).float())
        stages = []
        c = 3
        for w, d in zip(widths, depths):
            stages.append(nn.Sequential(*[nn.Conv2d(c if i == 0 else w, w, 1) for i in range(d)]))
            c = w
        self.stages = nn.Sequential(*stages)
)py";

class ConstructionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("ptlint_constructions_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    std::ofstream(*dir_ / "constructions.py") << kConstructions;
    // The module the fixture imports for OpenAttribute, for torch only.
    std::ofstream(*dir_ / "somewhere_else.py") << "import torch\n"
                                                 "def make_weight():\n"
                                                 "    return torch.nn.Parameter(torch.ones(2))\n";
    index_ = new ModuleIndex(ModuleIndex::Build({(*dir_ / "constructions.py").string()}, DiscoveryOptions{}, nullptr));
    const char* spec = R"json([
      {"name": "CondBias-true", "target": "constructions.CondBias", "args": [3, true]},
      {"name": "CondBias-false", "target": "constructions.CondBias", "args": [3, false]},
      {"name": "GPT-json", "target": "constructions.GPT", "args": [{"$gpt": {"n_layer": 3, "n_embd": 4, "bias": false}}]},
      {"name": "GPT-defaults", "target": "constructions.GPT", "args": [{"$gpt": {"n_embd": 4}}]},
      {"name": "GPT-5", "target": "constructions.GPT", "args": [{"$gpt": {"n_layer": 5, "n_embd": 16}}]},
      {"name": "ConfigObjects", "target": "constructions.ConfigObjects"},
      {"name": "Partials", "target": "constructions.Partials"},
      {"name": "Mixed-3", "target": "constructions.Mixed", "args": [3]},
      {"name": "wide", "target": "constructions.wide"},
      {"name": "vgg_like", "target": "constructions.vgg_like"},
      {"name": "OpenAttribute", "target": "constructions.OpenAttribute"},
      {"name": "Injected", "target": "constructions.Injected", "args": [{"$encoder": 6}]},
      {"name": "Schedule", "target": "constructions.Schedule"},
      {"name": "Schedule-800mf", "target": "constructions.Schedule", "args": [14, 56, 38.84, 2.4]},
      {"name": "Schedule-1_6gf", "target": "constructions.Schedule", "args": [18, 80, 34.01, 2.25]}
    ])json";
    std::ofstream(*dir_ / "spec.json") << spec;
    // dump_state_dicts.py takes JSON arguments; a GPTConfig is built here.
    std::ofstream(*dir_ / "dump.py")
        << "import json, sys, runpy\n"
           "sys.path.insert(0, sys.argv[1])\n"
           "import constructions\n"
           "spec = json.load(open(sys.argv[2]))\n"
           "for case in spec:\n"
           "    case['args'] = [(constructions.GPTConfig(**a['$gpt']) if '$gpt' in a else constructions.Encoder(a['$encoder']))\n"
           "                    if isinstance(a, dict) else a for a in case.get('args', [])]\n"
           "dump = runpy.run_path(sys.argv[4])\n"
           "torch = dump['torch']\n"
           "torch.manual_seed(0)\n"
           "out = {}\n"
           "for case in spec:\n"
           "    target = getattr(constructions, case['target'].split('.')[-1])\n"
           "    out[case['name']] = dump['dump'](target(*case['args']))\n"
           "json.dump(out, open(sys.argv[3], 'w'))\n";
    std::string cmd = std::string(PTLINT_PYTHON) + " " + (*dir_ / "dump.py").string() + " " + dir_->string() + " " +
                      (*dir_ / "spec.json").string() + " " + (*dir_ / "real.json").string() + " " +
                      PTLINT_SOURCE_DIR + "/tests/realcode/dump_state_dicts.py";
    real_ = new nlohmann::json();
    if (std::system(cmd.c_str()) == 0) {
      std::ifstream in(*dir_ / "real.json");
      *real_ = nlohmann::json::parse(in, nullptr, false);
    }
  }
  static void TearDownTestSuite() {
    delete index_;
    delete real_;
    fs::remove_all(*dir_);
    delete dir_;
  }

  static bool ComponentsMatch(const std::string& pattern, const std::string& key) {
    size_t p = 0, k = 0;
    while (true) {
      size_t pe = pattern.find('.', p), ke = key.find('.', k);
      std::string pc = pattern.substr(p, pe == std::string::npos ? std::string::npos : pe - p);
      std::string kc = key.substr(k, ke == std::string::npos ? std::string::npos : ke - k);
      if (pc != "*" && pc != kc) return false;
      if ((pe == std::string::npos) != (ke == std::string::npos)) return false;
      if (pe == std::string::npos) return true;
      p = pe + 1;
      k = ke + 1;
    }
  }
  static bool ShapeAgrees(const PredictedShape& shape, const std::vector<int64_t>& real) {
    if (!shape.rank_known) return true;
    if (shape.dims.size() != real.size()) return false;
    for (size_t i = 0; i < real.size(); ++i) {
      if (shape.dims[i].value && *shape.dims[i].value != real[i]) return false;
    }
    return true;
  }

  // Every real key is named by an exact key or a pattern with an agreeing
  // shape; every exact, required, persistent predicted key is real.
  void ExpectAgreesWithTorch(const ExpectedStateDict& e, const std::string& real_case) {
    SCOPED_TRACE(real_case);
    ASSERT_TRUE(real_->contains(real_case)) << "real torch did not run";
    const auto& real = (*real_)[real_case];
    std::set<std::string> real_keys;
    for (const auto& k : real["keys"]) {
      const std::string key = k[0];
      real_keys.insert(key);
      const std::vector<int64_t> shape = k[1];
      const PredictedKey* named = nullptr;
      for (const auto& p : e.keys) {
        if (p.persistent && (p.is_pattern ? ComponentsMatch(p.key, key) : p.key == key)) {
          named = &p;
          break;
        }
      }
      bool open = false;
      for (const auto& o : e.open) {
        open = open || o.prefix.empty() || ComponentsMatch(o.prefix, key) ||
               (key.size() > o.prefix.size() && key.compare(0, o.prefix.size(), o.prefix) == 0 &&
                (o.prefix.back() == '.' || key[o.prefix.size()] == '.'));
      }
      if (!named && open) continue;  // not predicted, and not claimed either
      if (!named) {
        ADD_FAILURE() << key << " is in torch's state dict but not predicted";
        continue;
      }
      EXPECT_TRUE(ShapeAgrees(named->shape, shape)) << key << ": predicted " << named->shape.ToString();
    }
    for (const auto& p : e.keys) {
      if (p.is_pattern || p.optional || !p.persistent) continue;
      EXPECT_TRUE(real_keys.count(p.key)) << p.key << " is predicted as certain but torch does not have it";
    }
  }

  static const PredictedKey* Find(const ExpectedStateDict& e, const std::string& key) {
    for (const auto& k : e.keys) {
      if (k.key == key) return &k;
    }
    return nullptr;
  }
  static ExpectedStateDict Predict(const std::string& name, const nlohmann::json& args = nlohmann::json::object()) {
    PredictOptions options;
    for (auto it = args.begin(); it != args.end(); ++it) options.args[it.key()] = it.value();
    auto p = PredictStateDict(*index_, name, options);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? *p : ExpectedStateDict{};
  }

  static fs::path* dir_;
  static ModuleIndex* index_;
  static nlohmann::json* real_;
};
fs::path* ConstructionTest::dir_ = nullptr;
ModuleIndex* ConstructionTest::index_ = nullptr;
nlohmann::json* ConstructionTest::real_ = nullptr;

TEST_F(ConstructionTest, ConditionalExpressionKnownAndUnknown) {
  ExpectAgreesWithTorch(Predict("constructions.CondBias", {{"0", 3}, {"1", true}}), "CondBias-true");
  ExpectAgreesWithTorch(Predict("constructions.CondBias", {{"0", 3}, {"1", false}}), "CondBias-false");
  EXPECT_EQ(Find(Predict("constructions.CondBias", {{"0", 3}, {"1", false}}), "bias"), nullptr);
  // `bias` unknown: the key and the LayerNorm's keys are optional, never
  // missing; both real variants agree with the one prediction.
  ExpectedStateDict unknown = Predict("constructions.CondBias", {{"0", 3}});
  ExpectAgreesWithTorch(unknown, "CondBias-true");
  ExpectAgreesWithTorch(unknown, "CondBias-false");
  const PredictedKey* bias = Find(unknown, "bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_TRUE(bias->optional);
  EXPECT_EQ(bias->shape.ToString(), "(3,)");
  ASSERT_NE(Find(unknown, "norm.weight"), nullptr);
  EXPECT_TRUE(Find(unknown, "norm.weight")->optional);
}

TEST_F(ConstructionTest, ConfigFromCheckpointEntriesAndDataclassDefaults) {
  // model_args as a plain JSON object: read as attributes.
  ExpectAgreesWithTorch(Predict("constructions.GPT", {{"config", {{"n_layer", 3}, {"n_embd", 4}, {"bias", false}}}}),
                        "GPT-json");
  // {"$class": ...}: GPTConfig(**model_args), its defaults filling the rest.
  ExpectedStateDict built =
      Predict("constructions.GPT", {{"config", {{"$class", "constructions.GPTConfig"}, {"n_embd", 4}}}});
  ExpectAgreesWithTorch(built, "GPT-defaults");
  ASSERT_NE(Find(built, "h.1.bias"), nullptr);
  EXPECT_EQ(Find(built, "h.1.bias")->shape.ToString(), "(16,)");
  EXPECT_EQ(Find(built, "h.2.weight"), nullptr);
  // Dataclass, NamedTuple and SimpleNamespace built inside the constructor.
  ExpectedStateDict objects = Predict("constructions.ConfigObjects");
  ExpectAgreesWithTorch(objects, "ConfigObjects");
  EXPECT_EQ(objects.confidence, Confidence::kExact);
}

TEST_F(ConstructionTest, UnknownConfigFieldsAreSymbolicAndRepeatedBlocksArePatterns) {
  ExpectedStateDict e = Predict("constructions.GPT");
  const PredictedKey* w = Find(e, "h.*.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->is_pattern);
  ASSERT_EQ(w->shape.dims.size(), 2u);
  EXPECT_EQ(w->shape.dims[0].expr, "4 * config.n_embd");
  EXPECT_EQ(w->shape.dims[1].expr, "config.n_embd");
  EXPECT_EQ(w->shape.dims[1].args, std::vector<std::string>{"config.n_embd"});
  EXPECT_EQ(Find(e, "h.0.weight"), nullptr);
  ExpectAgreesWithTorch(e, "GPT-5");
}

TEST_F(ConstructionTest, PartialLayersAndNormFactories) {
  ExpectedStateDict e = Predict("constructions.Partials");
  ExpectAgreesWithTorch(e, "Partials");
  EXPECT_EQ(e.confidence, Confidence::kExact);
  EXPECT_EQ(Find(e, "proj.bias"), nullptr);
}

TEST_F(ConstructionTest, OpenSplatsAndAppendsAfterThemArePatterns) {
  ExpectedStateDict e = Predict("constructions.Mixed");
  ExpectAgreesWithTorch(e, "Mixed-3");
  // The stem before the splat keeps its index; nothing after it claims one.
  EXPECT_NE(Find(e, "seq.0.weight"), nullptr);
  EXPECT_EQ(Find(e, "seq.1.weight"), nullptr);
  EXPECT_EQ(Find(e, "features.0.weight"), nullptr);
}

TEST_F(ConstructionTest, BuilderKwargsClassmethodsAndStringSentinels) {
  ExpectedStateDict w = Predict("constructions.wide");
  ExpectAgreesWithTorch(w, "wide");
  ASSERT_NE(Find(w, "conv.weight"), nullptr);
  EXPECT_EQ(Find(w, "conv.weight")->shape.ToString(), "(8, 8, 1, 1)");
  ExpectedStateDict v = Predict("constructions.vgg_like");
  ExpectAgreesWithTorch(v, "vgg_like");
  EXPECT_EQ(v.confidence, Confidence::kExact);
}

TEST_F(ConstructionTest, ModuleInjectedAtTheCallSite) {
  // Injected(Encoder(6)) at a call site: the encoder's subtree is known.
  ExpectedStateDict e = Predict("constructions.Injected", {{"0", {{"$class", "constructions.Encoder"}, {"$args", {6}}}}});
  ExpectAgreesWithTorch(e, "Injected");
  EXPECT_EQ(e.confidence, Confidence::kExact);
  ASSERT_NE(Find(e, "head.weight"), nullptr);
  EXPECT_EQ(Find(e, "head.weight")->shape.ToString(), "(2, 4)");
  ASSERT_NE(Find(e, "encoder.fc.weight"), nullptr);
  EXPECT_EQ(Find(e, "encoder.fc.weight")->shape.ToString(), "(6, 6)");
  // Unknown: the subtree is open, never guessed.
  EXPECT_EQ(Predict("constructions.Injected").confidence, Confidence::kOpen);
}

TEST_F(ConstructionTest, AttributeNotUnderstoodCoversItsOwnKey) {
  ExpectedStateDict e = Predict("constructions.OpenAttribute");
  ASSERT_EQ(e.open.size(), 1u);
  EXPECT_EQ(e.open[0].prefix, "w");  // the key `w` itself (a Parameter here), and anything under it
  ExpectAgreesWithTorch(e, "OpenAttribute");
}

TEST_F(ConstructionTest, TensorArithmeticStageSchedule) {
  // RegNet's widths and depths come from torch.arange/log/pow/round on a
  // small tensor, then set(), zip, enumerate and slices of the lists.
  ExpectedStateDict e = Predict("constructions.Schedule");
  ExpectAgreesWithTorch(e, "Schedule");
  EXPECT_EQ(e.confidence, Confidence::kExact);
  ASSERT_NE(Find(e, "gates"), nullptr);
  EXPECT_EQ(Find(e, "gates")->shape.ToString(), "(4,)");
  ASSERT_NE(Find(e, "offsets"), nullptr);
  EXPECT_EQ(Find(e, "offsets")->shape.ToString(), "(5,)");
  ASSERT_NE(Find(e, "stages.0.0.weight"), nullptr);
  EXPECT_EQ(Find(e, "stages.0.0.weight")->shape.ToString(), "(24, 3, 1, 1)");
  ExpectedStateDict m = Predict("constructions.Schedule", {{"0", 14}, {"1", 56}, {"2", 38.84}, {"3", 2.4}});
  ExpectAgreesWithTorch(m, "Schedule-800mf");
  EXPECT_EQ(m.confidence, Confidence::kExact);
  // regnet_x_1_6gf: 80 * 2.25 ** 1 / 8 is 22.5, on round()'s boundary; the
  // power is exact (a float), so torch rounds it to 22 wherever it runs.
  ExpectedStateDict g = Predict("constructions.Schedule", {{"0", 18}, {"1", 80}, {"2", 34.01}, {"3", 2.25}});
  ExpectAgreesWithTorch(g, "Schedule-1_6gf");
  EXPECT_EQ(g.confidence, Confidence::kExact);
  ASSERT_NE(Find(g, "stages.1.0.weight"), nullptr);
  EXPECT_EQ(Find(g, "stages.1.0.weight")->shape.ToString(), "(176, 80, 1, 1)");
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// The same layers built in different contexts: under a condition that is not
// known, in a loop with an unknown count, with symbolic and literal sizes.
const char kMemoModels[] = R"py(
import torch.nn as nn


class Opt(nn.Module):
    def __init__(self, flag):
        super().__init__()
        if flag:
            self.a = nn.Linear(2, 2)


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)


class Looped(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(n):
            self.layers.append(nn.Linear(2, 2))


class Fixed(nn.Module):
    def __init__(self, d=2):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(d, 2) for _ in range(2)])
        self.b = nn.Linear(2, 2)
        self.b.extra = [1]
        self.b.extra.append(2)
)py";

// A PredictionMemo shared across predictions changes nothing: every class
// predicted after others with one memo equals its prediction alone.
TEST(PredictionMemoTest, SharedMemoGivesThePredictionsAlone) {
  fs::path dir = fs::temp_directory_path() / ("ptlint_memo_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "memo_models.py") << kMemoModels;
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  const std::vector<std::string> classes = {"memo_models.Opt", "memo_models.Plain", "memo_models.Looped",
                                            "memo_models.Fixed"};
  std::map<std::string, std::string> alone;
  for (const std::string& c : classes) {
    auto p = PredictStateDict(index, c);
    ASSERT_TRUE(p.ok()) << p.error().message;
    alone[c] = ExpectedStateDictToJson(*p).dump();
  }
  for (bool reversed : {false, true}) {
    PredictionMemo memo;
    PredictOptions options;
    options.memo = &memo;
    std::vector<std::string> order = classes;
    if (reversed) std::reverse(order.begin(), order.end());
    for (int round = 0; round < 2; ++round) {
      for (const std::string& c : order) {
        auto p = PredictStateDict(index, c, options);
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_EQ(ExpectedStateDictToJson(*p).dump(), alone[c]) << c << (reversed ? " (reversed)" : "");
      }
    }
  }
  fs::remove_all(dir);
}

// One project class built in every context that changes what its keys look
// like: under a condition that is not known, in two different loops (each
// element's keys are repeated by its own loop), with classes and partials
// as arguments, at two nesting depths, and edited after it is built (the
// edit must not reach the next construction).
const char kConstructionMemoModels[] = R"py(
import functools
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d, norm=nn.BatchNorm1d, act=None):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.norm = norm(d)
        self.parts = nn.ModuleList([nn.Linear(d, 2) for _ in range(2)])
        if act is not None:
            self.act = act()


class Wrap(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.inner = Block(d)


class Uses(nn.Module):
    def __init__(self, flag, n, m):
        super().__init__()
        self.a = Block(4)
        if flag:
            self.b = Block(4)
        self.first = nn.ModuleList()
        for _ in range(3):
            self.first.append(Block(4, nn.LayerNorm))
        self.second = nn.ModuleList()
        for _ in range(n):
            self.second.append(Block(4, nn.LayerNorm))
        self.third = nn.ModuleList()
        for _ in range(m):
            self.third.append(Block(4, nn.LayerNorm))
        self.c = Block(4, functools.partial(nn.BatchNorm1d, eps=1e-3), nn.ReLU)
        self.w = Wrap(4)
        self.edited = Block(4)
        self.edited.fc = nn.Linear(4, 8)
        self.edited.parts.append(nn.Linear(4, 3))
        self.after = Block(4)
        self.last = Wrap(4)
)py";

// kConstructionMemoModels in a folder of its own, indexed, and what the
// interpreter alone (no construction memo) predicts for `Uses`.
struct ConstructionMemoProject {
  fs::path dir;
  std::unique_ptr<ModuleIndex> index;
  std::string expected;  // ExpectedStateDictToJson, or empty when the prediction failed
  explicit ConstructionMemoProject(const std::string& name)
      : dir(fs::temp_directory_path() / (name + std::to_string(::getpid()))) {
    fs::create_directories(dir);
    std::ofstream(dir / "cmemo_models.py") << kConstructionMemoModels;
    index = std::make_unique<ModuleIndex>(
        ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr));
    PredictOptions interpreted;
    interpreted.memoise_constructions = false;
    auto reference = PredictStateDict(*index, "cmemo_models.Uses", interpreted);
    if (reference.ok()) expected = ExpectedStateDictToJson(*reference).dump();
  }
  ~ConstructionMemoProject() { fs::remove_all(dir); }
};

// Copying a construction from its first build predicts exactly what
// interpreting it again does (fails when the memo key leaves out the branch
// or loop context, or a copy shares a list with the memo).
TEST(PredictionMemoTest, MemoisedConstructionsEqualInterpretedOnes) {
  ConstructionMemoProject project("ptlint_cmemo_");
  const ModuleIndex& index = *project.index;
  const std::string& expected = project.expected;
  ASSERT_FALSE(expected.empty()) << "the interpreter alone predicts Uses";
  // The edit stays on its own instance.
  EXPECT_NE(expected.find("\"edited.parts.2.weight\""), std::string::npos);
  EXPECT_EQ(expected.find("\"after.parts.2.weight\""), std::string::npos);
  PredictionMemo memo;
  PredictOptions memoised;
  memoised.memo = &memo;
  for (int round = 0; round < 2; ++round) {
    auto p = PredictStateDict(index, "cmemo_models.Uses", memoised);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(ExpectedStateDictToJson(*p).dump(), expected) << "round " << round;
  }
  EXPECT_FALSE(memo.impl().builds->constructions.empty());
}

// Memos on two threads that share their builds (structural binding's
// workers) predict what the interpreter does alone, and each reuses what the
// other built.
TEST(PredictionMemoTest, SharedBuildsOnTwoThreadsEqualInterpretedOnes) {
  ConstructionMemoProject project("ptlint_smemo_");
  const ModuleIndex& index = *project.index;
  const std::string& expected = project.expected;
  ASSERT_FALSE(expected.empty()) << "the interpreter alone predicts Uses";
  PredictionMemo first;
  PredictionMemo second(first);
  EXPECT_EQ(first.impl().builds, second.impl().builds);
  std::vector<std::string> got(2);
  auto predict = [&](PredictionMemo* memo, std::string* out) {
    PredictOptions memoised;
    memoised.memo = memo;
    for (int round = 0; round < 20; ++round) {
      auto p = PredictStateDict(index, "cmemo_models.Uses", memoised);
      std::string json = p.ok() ? ExpectedStateDictToJson(*p).dump() : p.error().message;
      if (json != expected) {
        *out = json;
        return;
      }
    }
    *out = expected;
  };
  std::thread other(predict, &second, &got[1]);
  predict(&first, &got[0]);
  other.join();
  EXPECT_EQ(got[0], expected);
  EXPECT_EQ(got[1], expected);
  const size_t built = first.impl().builds->constructions.size();
  EXPECT_GT(built, 0u);
  // A third memo sharing them builds nothing new for the same prediction.
  PredictionMemo third(second);
  PredictOptions memoised;
  memoised.memo = &third;
  auto p = PredictStateDict(index, "cmemo_models.Uses", memoised);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(ExpectedStateDictToJson(*p).dump(), expected);
  EXPECT_EQ(third.impl().builds->constructions.size(), built);
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// A construction nested deeper than the interpreter follows: wherever the
// nesting bound cuts it off (here, `super().__init__(n)` of the innermost
// module at some depth), the keys it would have registered are predicted or
// left open, never silently absent.
TEST(PredictionDepthTest, CutOffConstructionIsOpenNotMissing) {
  fs::path dir = fs::temp_directory_path() / ("ptlint_depth_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "deep.py") << "import torch\n"
                                    "import torch.nn as nn\n"
                                    "class Base(nn.Module):\n"
                                    "    def __init__(self, n):\n"
                                    "        super().__init__()\n"
                                    "        self.w = nn.Parameter(torch.zeros(n))\n"
                                    "class Leaf(Base):\n"
                                    "    def __init__(self, n):\n"
                                    "        super().__init__(n)\n"
                                    "class Chain(nn.Module):\n"
                                    "    def __init__(self, depth):\n"
                                    "        super().__init__()\n"
                                    "        self.inner = Chain(depth - 1) if depth > 0 else Leaf(3)\n";
  ModuleIndex index = ModuleIndex::Build({dir.string()}, DiscoveryOptions{}, nullptr);
  for (int d = 0; d < 24; ++d) {
    SCOPED_TRACE("Chain(" + std::to_string(d) + ")");
    PredictOptions options;
    options.args["0"] = d;
    auto p = PredictStateDict(index, "deep.Chain", options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    std::string key;
    for (int i = 0; i <= d; ++i) key += "inner.";
    key += "w";
    bool named = false, open = false;
    for (const auto& k : p->keys) named = named || k.key == key;
    for (const auto& o : p->open) open = open || key.compare(0, o.prefix.size(), o.prefix) == 0;
    EXPECT_TRUE(named || open) << key << " is neither predicted nor open";
    // Eleven constructions deep are followed: torchvision's regnet_x_400mf()
    // -> _regnet -> RegNet -> AnyStage -> ResBottleneckBlock ->
    // BottleneckTransform -> Conv2dNormActivation -> BatchNorm2d nests
    // about as deep.
    if (d <= 10) EXPECT_TRUE(named) << key << " is not predicted";
  }
  fs::remove_all(dir);
}

// IsolatedCopy (the memo's copy of a construction) keeps what the source
// shares shared, keeps cycles, and shares no mutable object with the source
// (values never changed once made, numbers and strings, are shared); the
// objects with one owner take its shortcut without a map entry.
TEST(IsolatedCopyTest, KeepsSharingAndCyclesAndSharesNothingMutableWithTheSource) {
  using prediction::Instance;
  using prediction::Slot;
  using prediction::V;
  auto module_value = [](const std::shared_ptr<Instance>& m) {
    V v = prediction::MakeNone();
    v->kind = prediction::Value::Kind::kModule;
    v->module = m;
    return v;
  };
  auto root = std::make_shared<Instance>();
  auto child = std::make_shared<Instance>();
  V number = prediction::MakeInt(5);
  V text = prediction::MakeStr("relu");
  {
    V shared = prediction::MakeTensor(true, {SymExpr::Int(7)});
    Slot a;
    a.name = "a";
    a.values = {shared};
    Slot b;
    b.name = "b";
    b.values = {shared};
    Slot c;
    c.name = "c";
    c.values = {prediction::MakeTensor(true, {SymExpr::Int(3)})};  // one owner
    root->params = {a, c};
    root->buffers = {b};
    root->attrs["list"] = prediction::MakeSeq({shared, shared}, false);
    root->attrs["number"] = number;
    root->attrs["text"] = text;
    Slot held;
    held.name = "child";
    held.values = {module_value(child)};
    root->children = {held};
    child->attrs["parent"] = module_value(root);  // a cycle through the root
    child->attrs["self"] = module_value(child);   // and one through the child
    child->attrs["number"] = number;
  }
  std::shared_ptr<Instance> copy = prediction::IsolatedCopy(root);

  // Every object of the source, to check the copy holds none of them.
  std::set<const void*> source;
  std::function<void(const std::shared_ptr<Instance>&)> walk_instance;
  std::function<void(const V&)> walk_value = [&](const V& v) {
    if (!v || v == number || v == text || !source.insert(v.get()).second) return;
    for (const V& item : v->items) walk_value(item);
    if (v->module) walk_instance(v->module);
  };
  walk_instance = [&](const std::shared_ptr<Instance>& m) {
    if (!source.insert(m.get()).second) return;
    for (auto* list : {&m->params, &m->buffers, &m->children}) {
      for (const Slot& slot : *list) {
        for (const V& v : slot.values) walk_value(v);
      }
    }
    for (const auto& [name, v] : m->attrs) walk_value(v);
  };
  walk_instance(root);
  const size_t source_objects = source.size();
  walk_instance(copy);
  EXPECT_EQ(source.size(), 2 * source_objects)
      << "the copy has as many mutable objects as the source, none of them shared";
  EXPECT_EQ(copy->attrs.at("number").get(), number.get()) << "a number is never changed: shared";
  EXPECT_EQ(copy->attrs.at("text").get(), text.get()) << "a string is never changed: shared";

  const V& a = copy->params[0].values[0];
  EXPECT_EQ(a.get(), copy->buffers[0].values[0].get())
      << "a value the source shares is shared in the copy";
  EXPECT_EQ(a.get(), copy->attrs.at("list")->items[0].get());
  EXPECT_EQ(a.get(), copy->attrs.at("list")->items[1].get());
  EXPECT_EQ(a->shape[0]->Evaluate()->i, 7);
  EXPECT_EQ(copy->params[1].values[0]->shape[0]->Evaluate()->i, 3);
  const std::shared_ptr<Instance>& copied_child = copy->children[0].values[0]->module;
  ASSERT_NE(copied_child, nullptr);
  EXPECT_NE(copied_child.get(), child.get());
  EXPECT_EQ(copied_child->attrs.at("parent")->module.get(), copy.get())
      << "the cycle through the root";
  EXPECT_EQ(copied_child->attrs.at("self")->module.get(), copied_child.get())
      << "the cycle through the child";
  // The source's cycles would keep it alive: break them for the leak checkers.
  child->attrs.clear();
  copied_child->attrs.clear();
}

}  // namespace
}  // namespace ptlint
