#include "analyzer/analysis/structural_binding.h"
#include "analyzer/analysis/key_pattern.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

TEST(ParsePythonLiteral, ReadsLiteralsAndRefusesExpressions) {
  EXPECT_EQ(*ParsePythonLiteral("3"), nlohmann::json(3));
  EXPECT_EQ(*ParsePythonLiteral("-2"), nlohmann::json(-2));
  EXPECT_EQ(*ParsePythonLiteral("1_000"), nlohmann::json(1000));
  EXPECT_DOUBLE_EQ(ParsePythonLiteral("0.5")->get<double>(), 0.5);
  EXPECT_EQ(*ParsePythonLiteral("'1_1'"), nlohmann::json("1_1"));
  EXPECT_EQ(*ParsePythonLiteral("True"), nlohmann::json(true));
  EXPECT_EQ(*ParsePythonLiteral("None"), nlohmann::json(nullptr));
  EXPECT_EQ(*ParsePythonLiteral("[2, 2, (1, 'a')]"), nlohmann::json::parse(R"([2, 2, [1, "a"]])"));
  EXPECT_FALSE(ParsePythonLiteral("version"));
  EXPECT_FALSE(ParsePythonLiteral("cfg.n_layer"));
  EXPECT_FALSE(ParsePythonLiteral("4 * d"));
  EXPECT_FALSE(ParsePythonLiteral("f(1)"));
  EXPECT_FALSE(ParsePythonLiteral("[1, x]"));
}

TEST(ScanConstructions, LiteralCallsAndDynamicOnes) {
  std::string a = R"py(
class Net(nn.Module):  # a definition, not a call
    pass

def net_a():
    return Net("a", num_classes=10)

def _net(version, **kwargs):
    return Net(version, **kwargs)

s = "Net(1)"  # in a string: not a call
m = models.Other()
m2 = Other(2)
)py";
  auto found = ScanConstructions({a}, {"Net", "Other"});
  ASSERT_TRUE(found.count("Net"));
  EXPECT_TRUE(found["Net"].dynamic);
  ASSERT_EQ(found["Net"].literal.size(), 1u);
  EXPECT_EQ(found["Net"].literal[0].at("0"), nlohmann::json("a"));
  EXPECT_EQ(found["Net"].literal[0].at("num_classes"), nlohmann::json(10));
  ASSERT_TRUE(found.count("Other"));
  EXPECT_FALSE(found["Other"].dynamic);
  EXPECT_EQ(found["Other"].literal.size(), 2u);  // () and (2)
}

// A small project on disk, indexed, with checkpoints described by their
// tensors (names and shapes), matched structurally.
class StructuralBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptlint_structural_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "lib");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel) << text;
  }
  ModuleIndex Index() {
    return ModuleIndex::Build({(dir_ / "lib").string()}, DiscoveryOptions{}, nullptr);
  }
  static std::vector<TensorInfo> Tensors(const std::vector<std::pair<std::string, std::vector<int64_t>>>& spec) {
    std::vector<TensorInfo> out;
    for (const auto& [name, shape] : spec) {
      TensorInfo t;
      t.name = name;
      t.shape = shape;
      out.push_back(t);
    }
    return out;
  }
  static std::vector<const TensorInfo*> Pointers(const std::vector<TensorInfo>& ts) {
    std::vector<const TensorInfo*> out;
    for (const TensorInfo& t : ts) out.push_back(&t);
    return out;
  }
  fs::path dir_;
};

constexpr const char* kSqueezeLike = R"(
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, version="a", num_classes=10):
        super().__init__()
        width = 8 if version == "a" else 4
        self.conv = nn.Conv2d(3, width, 3)
        self.head = nn.Linear(width, num_classes)


def _net(version, **kwargs):
    return Net(version, **kwargs)


def net_a(**kwargs):
    return _net("a", **kwargs)


def net_b(**kwargs):
    return _net("b", **kwargs)


class Getter(nn.ModuleDict):
    def __init__(self, model, names):
        super().__init__({n: m for n, m in model.named_children() if n in names})
)";

TEST_F(StructuralBindingTest, BuilderWithItsLiteralArgumentsWins) {
  Write("lib/models.py", kSqueezeLike);
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  auto file = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}, {"head.weight", {10, 4}}, {"head.bias", {10}}});
  StructuralMatch m = MatchStructure(candidates, Pointers(file));
  ASSERT_NE(m.best, nullptr) << m.note;
  EXPECT_EQ(m.best->cls, "models.Net");
  EXPECT_EQ(m.best->factory, "models.net_b");
  EXPECT_TRUE(m.construction_certain);
  EXPECT_TRUE(m.best->construction_known);
}

TEST_F(StructuralBindingTest, DefaultsOfAClassBuiltElsewhereAreNotAKnownConstruction) {
  // Only the class: `Net(version, **kwargs)` elsewhere makes its defaults a guess.
  Write("lib/models.py", R"(
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, version="a"):
        super().__init__()
        self.conv = nn.Conv2d(3, 8 if version == "a" else 4, 3)


def _net(version):
    return Net(version)
)");
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  auto file = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}});
  StructuralMatch m = MatchStructure(candidates, Pointers(file));
  ASSERT_NE(m.best, nullptr) << m.note;
  EXPECT_EQ(m.best->cls, "models.Net");
  EXPECT_FALSE(m.best->construction_known);
}

// Top-level names built at run time (`f"layer{i}"`) are in no vocabulary as
// such: the file holds `layer`. The class must still be predicted and bound
// (it was pruned as irrelevant, leaving the file unbound).
TEST_F(StructuralBindingTest, NumberedNamesBuiltAtRunTimeStillBind) {
  Write("lib/models.py", R"(
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        for i in range(3):
            self.add_module(f"layer{i}", nn.Linear(4, 4))


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
)");
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  auto file = Tensors({{"layer0.weight", {4, 4}}, {"layer0.bias", {4}}, {"layer1.weight", {4, 4}},
                       {"layer1.bias", {4}}, {"layer2.weight", {4, 4}}, {"layer2.bias", {4}}});
  StructuralMatch m = MatchStructure(candidates, Pointers(file));
  ASSERT_NE(m.best, nullptr) << m.note;
  EXPECT_EQ(m.best->cls, "models.Tower");
}

// A file's binding does not depend on what else the run matched before it:
// every order of the same checkpoints gives each one the same answer.
TEST_F(StructuralBindingTest, EachFileIsDecidedAloneWhateverTheOrder) {
  Write("lib/models.py", R"(
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=8, num_classes=10):
        super().__init__()
        self.features = nn.Conv2d(3, width, 3)
        self.classifier = nn.Linear(width, num_classes)


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)


def net_small():
    return Net(4)


def net_wide():
    return Net(16, num_classes=3)


def tower():
    return Tower()
)");
  ModuleIndex index = Index();
  std::vector<std::vector<TensorInfo>> files = {
      Tensors({{"features.weight", {4, 3, 3, 3}}, {"features.bias", {4}}, {"classifier.weight", {10, 4}},
               {"classifier.bias", {10}}}),
      Tensors({{"features.weight", {16, 3, 3, 3}}, {"features.bias", {16}}, {"classifier.weight", {3, 16}},
               {"classifier.bias", {3}}}),
      Tensors({{"features.weight", {4, 4}}, {"features.bias", {4}}, {"head.weight", {2, 4}}, {"head.bias", {2}}}),
      Tensors({{"features.weight", {4, 4}}, {"other.weight", {2, 4}}})};
  auto describe = [](const StructuralMatch& m) {
    std::string d = m.note + "|" + std::to_string(m.score) + "|" + std::to_string(m.construction_certain);
    if (m.best != nullptr) {
      d += "|" + m.best->cls + "|" + m.best->factory + "|" + nlohmann::json(m.best->args).dump();
      for (const std::string& f : m.best->factories) d += "," + f;
    }
    for (const StructuralCandidate* c : m.tied) d += "|tied " + c->cls + " " + c->factory;
    return d;
  };
  std::vector<size_t> order = {0, 1, 2, 3};
  std::map<size_t, std::string> first;
  do {
    StructuralCandidates candidates = CollectStructuralCandidates(index);
    for (size_t i : order) {
      std::string d = describe(MatchStructure(candidates, Pointers(files[i])));
      auto [it, added] = first.emplace(i, d);
      EXPECT_EQ(d, it->second) << "file " << i << " after another order";
    }
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_NE(first[0].find("net_small"), std::string::npos) << first[0];
  EXPECT_NE(first[1].find("net_wide"), std::string::npos) << first[1];
}

// A folder of one model's epochs: the same keys and shapes are decided once;
// another shape or a class restriction is another decision.
TEST_F(StructuralBindingTest, TheSameKeysAndShapesAreDecidedOnce) {
  Write("lib/models.py", kSqueezeLike);
  ModuleIndex index = Index();
  auto epoch = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}, {"head.weight", {10, 4}}, {"head.bias", {10}}});
  auto again = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}, {"head.weight", {10, 4}}, {"head.bias", {10}}});
  auto resized = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}, {"head.weight", {7, 4}}, {"head.bias", {7}}});
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  StructuralMatch first = MatchStructure(candidates, Pointers(epoch));
  ASSERT_NE(first.best, nullptr) << first.note;
  StructuralMatch second = MatchStructure(candidates, Pointers(again));
  EXPECT_EQ(candidates.matched.size(), 1u);
  EXPECT_EQ(second.best, first.best);
  EXPECT_EQ(second.note, first.note);
  EXPECT_EQ(second.score, first.score);
  MatchStructure(candidates, Pointers(resized));
  EXPECT_EQ(candidates.matched.size(), 2u);
  MatchStructure(candidates, Pointers(again), first.best->cls);
  EXPECT_EQ(candidates.matched.size(), 3u);
  // Decided afresh, the same.
  StructuralCandidates fresh = CollectStructuralCandidates(index);
  StructuralMatch alone = MatchStructure(fresh, Pointers(again));
  ASSERT_NE(alone.best, nullptr);
  EXPECT_EQ(alone.best->factory, first.best->factory);
  EXPECT_EQ(alone.score, first.score);
}

TEST_F(StructuralBindingTest, OpenClassNeverWinsAndPrefixIsStripped) {
  Write("lib/models.py", kSqueezeLike);
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  // Keys no class predicts: the ModuleDict filled from another model could
  // hold them, and must not be the binding.
  auto other = Tensors({{"encoder.0.weight", {8, 3}}, {"decoder.weight", {3, 8}}});
  StructuralMatch none = MatchStructure(candidates, Pointers(other));
  EXPECT_EQ(none.best, nullptr);
  EXPECT_TRUE(none.tied.empty());
  EXPECT_NE(none.note.find("unbound"), std::string::npos) << none.note;
  // `module.` on every key is stripped before matching.
  auto dp = Tensors({{"module.conv.weight", {8, 3, 3, 3}}, {"module.conv.bias", {8}},
                     {"module.head.weight", {10, 8}}, {"module.head.bias", {10}}});
  StructuralMatch bound = MatchStructure(candidates, Pointers(dp));
  ASSERT_NE(bound.best, nullptr) << bound.note;
  EXPECT_EQ(bound.prefix, "module.");
  EXPECT_EQ(bound.best->cls, "models.Net");
  EXPECT_EQ(bound.best->factory, "models.net_a");  // identical to Net()'s defaults: one candidate
}

// A rival whose contents come from arguments (open subtrees) could explain
// any key under any of its open prefixes: every prefix counts, not only the
// last one it lists (which let Net bind here over a rival as good as it).
TEST_F(StructuralBindingTest, EveryOpenSubtreeOfARivalCounts) {
  Write("lib/models.py", R"(
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(4, 4)
        self.dec = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)


class Wrapper(nn.Module):
    def __init__(self, enc, dec):
        super().__init__()
        self.enc = enc
        self.dec = dec
        self.head = nn.Linear(4, 2)
)");
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  // Net explains 6 of 7 keys; so could Wrapper, through `enc` and `dec`.
  auto file = Tensors({{"enc.weight", {4, 4}}, {"enc.bias", {4}}, {"dec.weight", {4, 4}}, {"dec.bias", {4}},
                       {"head.weight", {2, 4}}, {"head.bias", {2}}, {"extra.weight", {4}}});
  StructuralMatch m = MatchStructure(candidates, Pointers(file));
  EXPECT_EQ(m.best, nullptr) << "bound to " << m.best->cls;
  EXPECT_NE(m.note.find("ambiguous"), std::string::npos) << m.note;
}

// A file that one construction explains exactly, key for key and shape for
// shape, binds to it even when a rival with open subtrees comes within the
// margin: the rival cannot name one of the keys, so it would need drift
// where the exact one needs none.
TEST_F(StructuralBindingTest, AnExactMatchOutranksARivalThatCannotNameEveryKey) {
  Write("lib/models.py", R"(
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(*[nn.Linear(4, 4) for _ in range(5)])
        self.dec = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)
        self.scale = nn.Parameter(torch.ones(1))


class Wrapper(nn.Module):
    def __init__(self, enc, dec):
        super().__init__()
        self.enc = enc
        self.dec = dec
        self.head = nn.Linear(4, 2)
)");
  ModuleIndex index = Index();
  StructuralCandidates candidates = CollectStructuralCandidates(index);
  std::vector<std::pair<std::string, std::vector<int64_t>>> keys;
  for (int i = 0; i < 5; ++i) {
    keys.push_back({"enc." + std::to_string(i) + ".weight", {4, 4}});
    keys.push_back({"enc." + std::to_string(i) + ".bias", {4}});
  }
  keys.insert(keys.end(), {{"dec.weight", {4, 4}}, {"dec.bias", {4}}, {"head.weight", {2, 4}}, {"head.bias", {2}},
                           {"scale", {1}}});
  auto file = Tensors(keys);
  StructuralMatch m = MatchStructure(candidates, Pointers(file));
  ASSERT_NE(m.best, nullptr) << m.note;
  EXPECT_EQ(m.best->cls, "models.Net");
  EXPECT_GT(m.runner_up, 0.9);  // Wrapper could explain 14 of 15 keys: close, but not every one
  // Without `scale` Wrapper could explain every key: a real rival.
  keys.pop_back();
  auto other = Tensors(keys);
  StructuralMatch none = MatchStructure(candidates, Pointers(other));
  EXPECT_EQ(none.best, nullptr) << "bound to " << none.best->cls;
}

// Predicting candidates on several threads gives the same decisions as one.
TEST_F(StructuralBindingTest, ThreadsDoNotChangeTheDecision) {
  Write("lib/models.py", kSqueezeLike);
  ModuleIndex index = Index();
  auto file = Tensors({{"conv.weight", {4, 3, 3, 3}}, {"conv.bias", {4}}, {"head.weight", {10, 4}}, {"head.bias", {10}}});
  std::string first;
  for (unsigned threads : {1u, 2u, 4u}) {
    StructuralCandidates candidates = CollectStructuralCandidates(index);
    candidates.threads = threads;
    StructuralMatch m = MatchStructure(candidates, Pointers(file));
    ASSERT_NE(m.best, nullptr) << m.note;
    std::string d = m.best->factory + "|" + m.note + "|" + std::to_string(m.score) + "|" + std::to_string(m.runner_up);
    if (first.empty()) first = d;
    EXPECT_EQ(d, first) << threads << " threads";
  }
}

// Open subtrees without `*` are looked up by each key's own prefixes rather
// than tried one by one (a candidate can have hundreds): the same keys must
// count as covered as OpenPrefixCovers says, strict ("a.b.") and not ("c").
TEST(CandidateScoreTest, LiteralOpenPrefixesCoverWhatOpenPrefixCoversSays) {
  StructuralCandidate c;
  PredictedKey own;
  own.key = "stem.weight";
  c.expected.keys.push_back(own);
  const std::vector<std::string> prefixes = {"a.b.", "c", "d.e.f", "g*.h."};
  for (const std::string& p : prefixes) c.expected.open.push_back({p, "test", {}});
  IndexCandidate(c);
  const std::vector<std::string> keys = {"a.b.w", "a.b", "a.bx.w", "a.b.c.d", "c", "c.d", "cc.d", "d.e.f",
                                         "d.e.f.g", "d.e", "d.e.fg", "g1.h.w", "g1.h", "x.y"};
  for (const std::string& key : keys) {
    bool covered = false;
    for (const std::string& p : prefixes) covered = covered || OpenPrefixCovers(p, key);
    // With the own key present, a covered key raises the loose score over
    // the closed one; an uncovered one does not.
    std::vector<std::string> file = {"stem.weight", key};
    EXPECT_EQ(CandidateScore(c, file, /*loose=*/true) > CandidateScore(c, file, /*loose=*/false), covered) << key;
  }
}

}  // namespace
}  // namespace ptlint
