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
