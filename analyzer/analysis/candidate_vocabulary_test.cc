#include "analyzer/analysis/candidate_vocabulary.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

class CandidateVocabularyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ptlint_vocabulary_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "lib");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / "lib" / rel) << text; }
  void Build() {
    index_ = std::make_unique<ModuleIndex>(ModuleIndex::Build({(dir_ / "lib").string()}, DiscoveryOptions{}, nullptr));
    vocabularies_ = std::make_unique<CandidateVocabularies>(*index_);
  }
  const Vocabulary& OfClass(const std::string& q) {
    const ClassInfo* c = index_->FindClass(q);
    EXPECT_NE(c, nullptr) << q;
    return vocabularies_->vocabularies()[vocabularies_->OfClass(*c)];
  }
  const Vocabulary& OfFunction(const std::string& q) {
    const FunctionInfo* f = index_->FindFunction(q);
    EXPECT_NE(f, nullptr) << q;
    return vocabularies_->vocabularies()[vocabularies_->OfFunction(*f)];
  }
  fs::path dir_;
  std::unique_ptr<ModuleIndex> index_;
  std::unique_ptr<CandidateVocabularies> vocabularies_;
};

// Two architectures in one file: each class's bound holds its own names and
// not the other's (the whole file's vocabulary held both, so every
// checkpoint of either predicted both).
TEST_F(CandidateVocabularyTest, AClassHoldsItsOwnBodyAndItsBasesNotItsNeighbours) {
  Write("nets.py", R"(
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)


class Wide(Base):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", None)
        self.trunk = nn.Linear(8, 8)


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(8, 8)
)");
  Build();
  const Vocabulary& wide = OfClass("nets.Wide");
  EXPECT_TRUE(wide.count("trunk"));
  EXPECT_TRUE(wide.count("mask"));
  EXPECT_TRUE(wide.count("stem"));  // from its project base
  EXPECT_FALSE(wide.count("encoder"));
  const Vocabulary& deep = OfClass("nets.Deep");
  EXPECT_TRUE(deep.count("encoder"));
  EXPECT_FALSE(deep.count("trunk"));
}

// A builder reaches what it names, across files and through helpers:
// resnet18() -> _resnet() -> ResNet.
TEST_F(CandidateVocabularyTest, ABuilderReachesTheClassesItsHelpersBuild) {
  Write("resnet.py", R"(
import torch.nn as nn


class ResNet(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layer1 = nn.Linear(2, 2)
        self.fc = nn.Linear(2, 2)


def _resnet(layers, **kwargs):
    return ResNet(layers, **kwargs)
)");
  Write("zoo.py", R"(
from resnet import _resnet


def resnet18(**kwargs):
    return _resnet([2, 2], **kwargs)


def unrelated():
    return 3
)");
  Build();
  const Vocabulary& builder = OfFunction("zoo.resnet18");
  EXPECT_TRUE(builder.count("layer1"));
  EXPECT_TRUE(builder.count("fc"));
  EXPECT_FALSE(OfFunction("zoo.unrelated").count("fc"));
}

// Where names come from outside the class's text, the bound is the whole
// file's (with its project imports'): never narrower than the prediction.
TEST_F(CandidateVocabularyTest, NamesBuiltAtRunTimeFallBackToTheFile) {
  Write("helpers.py", "HEADS = ['cls_head', 'box_head']\n");
  Write("dyn.py", R"(
import torch.nn as nn
from helpers import HEADS


class ByName(nn.Module):
    def __init__(self):
        super().__init__()
        for name in HEADS:
            setattr(self, name, nn.Linear(2, 2))


class Formatted(nn.Module):
    def __init__(self, n):
        super().__init__()
        for i in range(n):
            self.add_module("block%d" % i, nn.Linear(2, 2))


class Literal(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("only", nn.Linear(2, 2))


class Stack(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(2, 2))


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.far_away = nn.Linear(2, 2)
)");
  Build();
  EXPECT_TRUE(OfClass("dyn.ByName").count("cls_head"));  // the imported module's words
  EXPECT_TRUE(OfClass("dyn.Formatted").count("far_away"));  // the file's
  EXPECT_TRUE(OfClass("dyn.Stack").count("far_away"));      // a torch container base
  const Vocabulary& literal = OfClass("dyn.Literal");
  EXPECT_TRUE(literal.count("only"));
  EXPECT_FALSE(literal.count("far_away"));
}

// `self` handed to a project function: that function's text can set names
// on it (`model.head = ...`), so its words join the bound; an external or
// reading call adds nothing.
TEST_F(CandidateVocabularyTest, SelfHandedToAProjectFunctionAddsItsWords) {
  Write("init.py", R"(
import torch.nn as nn


def attach_heads(model):
    model.aux_head = nn.Linear(2, 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(2, 2)
        attach_heads(self)
        print(self)
        isinstance(self, nn.Module)


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(2, 2)
        torch_log_usage(self)
)");
  Build();
  const Vocabulary& net = OfClass("init.Net");
  EXPECT_TRUE(net.count("aux_head"));
  const Vocabulary& plain = OfClass("init.Plain");
  EXPECT_TRUE(plain.count("body"));
  EXPECT_FALSE(plain.count("aux_head"));
}

// A docstring or continuation line at column 0 inside the body does not end
// the class early: the body runs to the next module-level definition.
TEST_F(CandidateVocabularyTest, TheBodyRunsToTheNextDefinition) {
  Write("doc.py", R"(
import torch.nn as nn


class Net(nn.Module):
    """A model.
text at column zero
"""
    def __init__(self):
        super().__init__()
        self.late_name = nn.Linear(2, 2)
x = 1
        # (a comment)


def after():
    return nn.Linear(2, 2)
)");
  Build();
  EXPECT_TRUE(OfClass("doc.Net").count("late_name"));
}

// A builder's top level is its returned module's: the class that builds it
// and what the builder sets on it, not the backbone built for an argument
// (whose names sit under `backbone.`). Detection and segmentation builders
// named every backbone's words, so every classification checkpoint
// predicted them.
TEST_F(CandidateVocabularyTest, ABuilderNamesWhatBuildsItsReturnedModuleNotItsArguments) {
  Write("seg.py", R"(
import torch.nn as nn


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Linear(2, 2)


class SegNet(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone = backbone
        self.classifier = head

    def forward(self, x):
        features = self.backbone(x)
        return self.classifier(features)


def init_extra(model):
    model.extra_head = nn.Linear(2, 2)


def segnet():
    backbone = Backbone()
    model = SegNet(backbone, nn.Linear(2, 2))
    model.aux = nn.Linear(2, 2)
    init_extra(model)
    return model


def segnet_direct():
    return SegNet(Backbone(), nn.Linear(2, 2))


def segnet_moved():
    backbone = Backbone()
    return SegNet(backbone, nn.Linear(2, 2)).cuda()


def segnet_either(flag=False):
    backbone = Backbone()
    model = SegNet(backbone, None) if flag else Backbone()
    return model


def segnet_method(obj):
    backbone = Backbone()
    return obj.SegNet(backbone)


def segnet_alias():
    model = SegNet(Backbone(), None)
    other = model
    other.late = nn.Linear(2, 2)
    return model
)");
  Write("zoo.py", R"(
import seg


def from_module():
    backbone = seg.Backbone()
    return seg.SegNet(backbone, None)
)");
  Build();
  const Vocabulary& builder = OfFunction("seg.segnet");
  EXPECT_TRUE(builder.count("backbone"));
  EXPECT_TRUE(builder.count("classifier"));
  EXPECT_TRUE(builder.count("aux"));         // set on the returned name
  EXPECT_TRUE(builder.count("extra_head"));  // by a function it is handed to
  EXPECT_FALSE(builder.count("features"));   // the backbone's, and a local of forward()
  const Vocabulary& direct = OfFunction("seg.segnet_direct");
  EXPECT_TRUE(direct.count("classifier"));
  EXPECT_FALSE(direct.count("features"));
  // What the text does not show plainly reaches everything it names.
  EXPECT_TRUE(OfFunction("seg.segnet_moved").count("features"));
  EXPECT_TRUE(OfFunction("seg.segnet_either").count("features"));
  EXPECT_TRUE(OfFunction("seg.segnet_alias").count("late"));
  // `obj.SegNet()` is a method of an argument, not the class SegNet;
  // `seg.SegNet()` through the project module is.
  EXPECT_TRUE(OfFunction("seg.segnet_method").count("features"));
  EXPECT_FALSE(OfFunction("zoo.from_module").count("features"));
  EXPECT_TRUE(OfFunction("zoo.from_module").count("classifier"));
}

// A returned container (a Sequential subclass) is named by what it is
// handed: the builder's bound stays everything it reaches.
TEST_F(CandidateVocabularyTest, AReturnedContainerKeepsEverythingTheBuilderReaches) {
  Write("cont.py", R"(
import torch.nn as nn


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(2, 2)


class Getter(nn.ModuleDict):
    def __init__(self, model):
        super().__init__(dict(model.named_children()))


def extractor():
    backbone = Backbone()
    return Getter(backbone)
)");
  Build();
  EXPECT_TRUE(OfFunction("cont.extractor").count("stem"));
}

// A class's instance gets names through `self` (and text, and class-level
// statements): the locals and callees of its methods are no key's top level.
// An alias of `self` could set anything: then every word counts.
TEST_F(CandidateVocabularyTest, AClassNamesWhatItSetsOnSelfNotItsLocals) {
  Write("cls.py", R"(
import torch.nn as nn


class Net(nn.Module):
    scale: float = 1.0
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("running", None)
        hidden = 4

    def forward(self, x):
        features = self.fc(x)
        return features


class Aliased(nn.Module):
    def __init__(self):
        super().__init__()
        m = self
        m.sneaky = nn.Linear(2, 2)
)");
  Build();
  const Vocabulary& net = OfClass("cls.Net");
  EXPECT_TRUE(net.count("fc"));
  EXPECT_TRUE(net.count("running"));
  EXPECT_TRUE(net.count("scale"));
  EXPECT_FALSE(net.count("features"));
  EXPECT_FALSE(net.count("hidden"));
  EXPECT_TRUE(OfClass("cls.Aliased").count("sneaky"));
}

TEST(ReturnedModuleFlow, ReadsWhereTheReturnedModuleComesFrom) {
  std::vector<std::string> built_by, handed_to;
  Vocabulary set_on;
  EXPECT_TRUE(ReturnedModuleFlow("def f(a, *, b=None):\n    m = Net(a)\n    m.x = 1\n    init(m)\n    return m\n",
                                 &built_by, &handed_to, &set_on));
  EXPECT_EQ(built_by, std::vector<std::string>{"Net"});
  EXPECT_EQ(handed_to, std::vector<std::string>{"init"});
  EXPECT_TRUE(set_on.count("x"));
  // A parameter, a conditional return, a tuple, a call on the result: not followed.
  EXPECT_FALSE(ReturnedModuleFlow("def f(m):\n    return m\n", &built_by, &handed_to, &set_on));
  EXPECT_FALSE(ReturnedModuleFlow("def f():\n    if x: return A()\n    return B()\n", &built_by, &handed_to, &set_on));
  EXPECT_FALSE(ReturnedModuleFlow("def f():\n    return A(), B()\n", &built_by, &handed_to, &set_on));
  EXPECT_FALSE(ReturnedModuleFlow("def f():\n    m = A()\n    m = m.to(d)\n    return m\n", &built_by, &handed_to,
                                  &set_on));
  EXPECT_TRUE(ReturnedModuleFlow("def f():\n    return models.Net()\n", &built_by, &handed_to, &set_on));
  EXPECT_EQ(built_by, std::vector<std::string>{"models.Net"});  // the caller decides what `models` is
  EXPECT_FALSE(ReturnedModuleFlow("def f():\n    for m in ms:\n        pass\n    return m\n", &built_by, &handed_to,
                                  &set_on));
  EXPECT_FALSE(ReturnedModuleFlow("def f():\n    pass\n", &built_by, &handed_to, &set_on));
  // Several returns, a multi-line call, a comment after it.
  EXPECT_TRUE(ReturnedModuleFlow(
      "def f(v):\n    if v:\n        return A(\n            1,\n        )  # small\n    return b.B(2)\n", &built_by,
      &handed_to, &set_on));
  EXPECT_EQ(built_by, (std::vector<std::string>{"A", "b.B"}));
}

TEST(AddVocabulary, IdentifiersAndShortStringWordsNotComments) {
  Vocabulary v;
  AddVocabulary("self.fc = x  # a comment_word\nregister_buffer(\"run_mean\", y)\ns = f\"layer{i}\"", v);
  EXPECT_TRUE(v.count("fc"));
  EXPECT_TRUE(v.count("run_mean"));
  EXPECT_TRUE(v.count("layer"));
  EXPECT_FALSE(v.count("comment_word"));
}

}  // namespace
}  // namespace ptlint
