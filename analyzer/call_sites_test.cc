#include "analyzer/call_sites.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

class CallSitesTest : public ::testing::Test {
 protected:
  void Add(const std::string& path, const std::string& module, const std::string& source) {
    DiscoveredFile f;
    f.path = path;
    f.module_name = module;
    f.size = source.size();
    auto r = index_.AddFile(f, source);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::vector<CallSite> Sites() { return ExtractCallSites(index_); }
  const CallSite* Find(const std::vector<CallSite>& sites, CallKind kind, int nth = 0) {
    for (const CallSite& s : sites) {
      if (s.kind == kind && nth-- == 0) return &s;
    }
    return nullptr;
  }
  ModuleIndex index_;
};

constexpr const char* kModels = R"(
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
)";

TEST_F(CallSitesTest, FollowsLoadThroughVariableAndKeyIntoLoadStateDict) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/train.py", "pkg.train", R"(
import torch
from pkg.models import Net

def resume():
    ckpt = torch.load("ckpt/x.pt")
    model = Net()
    model.load_state_dict(ckpt["model_state_dict"])
)");
  auto sites = Sites();
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  const CallSite* lsd = Find(sites, CallKind::kLoadStateDict);
  ASSERT_NE(load, nullptr);
  ASSERT_NE(lsd, nullptr);
  EXPECT_EQ(load->checkpoint.text, "ckpt/x.pt");
  EXPECT_FALSE(load->checkpoint.is_glob);
  EXPECT_EQ(load->result_variable, "ckpt");
  EXPECT_FALSE(load->has_map_location);
  EXPECT_EQ(load->function, "resume");
  EXPECT_EQ(load->start.line, 6u);
  EXPECT_EQ(lsd->receiver, "model");
  EXPECT_EQ(lsd->receiver_class, "pkg.models.Net");
  EXPECT_EQ(lsd->load_site, static_cast<int>(load - sites.data()));
  ASSERT_EQ(lsd->keys.size(), 1u);
  EXPECT_EQ(lsd->keys[0], "model_state_dict");
  EXPECT_FALSE(lsd->strict_false);
}

TEST_F(CallSitesTest, NestedLoadWithJoinedPathAndMapLocation) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/eval.py", "pkg.eval", R"(
import os
import torch
from pathlib import Path
from pkg import models

CKPT_DIR = "ckpt"
net = models.Net()
net.load_state_dict(torch.load(os.path.join(CKPT_DIR, "m.pt"), map_location="cpu"), strict=False)
a = torch.load(Path("ckpt") / "b.pt", weights_only=True)
b = torch.load(f"ckpt/epoch_{3}.pt")
)");
  auto sites = Sites();
  const CallSite* first = Find(sites, CallKind::kTorchLoad, 0);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->checkpoint.text, "ckpt/m.pt");
  EXPECT_TRUE(first->has_map_location);
  const CallSite* lsd = Find(sites, CallKind::kLoadStateDict);
  ASSERT_NE(lsd, nullptr);
  EXPECT_TRUE(lsd->strict_false);
  EXPECT_EQ(lsd->receiver_class, "pkg.models.Net");
  EXPECT_EQ(lsd->load_site, static_cast<int>(first - sites.data()));
  const CallSite* second = Find(sites, CallKind::kTorchLoad, 1);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->checkpoint.text, "ckpt/b.pt");
  ASSERT_TRUE(second->weights_only.has_value());
  EXPECT_TRUE(*second->weights_only);
  const CallSite* third = Find(sites, CallKind::kTorchLoad, 2);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->checkpoint.text, "ckpt/epoch_*.pt");
  EXPECT_TRUE(third->checkpoint.is_glob);
}

TEST_F(CallSitesTest, SavesOfModulesAndStateDicts) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("train.py", "train", R"(
import torch
from pkg.models import Net
model = Net()
torch.save(model, "full.pt")
torch.save(model.state_dict(), "sd.pt")
torch.save({"model_state_dict": model.state_dict(), "epoch": 3}, "wrapped.pt")
)");
  auto sites = Sites();
  const CallSite* whole = Find(sites, CallKind::kTorchSave, 0);
  ASSERT_NE(whole, nullptr);
  EXPECT_TRUE(whole->saves_module);
  EXPECT_EQ(whole->saved_class, "pkg.models.Net");
  EXPECT_EQ(whole->destination.text, "full.pt");
  const CallSite* sd = Find(sites, CallKind::kTorchSave, 1);
  ASSERT_NE(sd, nullptr);
  EXPECT_TRUE(sd->saves_state_dict);
  EXPECT_FALSE(sd->saves_module);
  const CallSite* wrapped = Find(sites, CallKind::kTorchSave, 2);
  ASSERT_NE(wrapped, nullptr);
  EXPECT_TRUE(wrapped->saves_state_dict);
}

TEST_F(CallSitesTest, LoadResultUsedAsModuleAndSafeGlobals) {
  Add("infer.py", "infer", R"(
import argparse
import torch
torch.serialization.add_safe_globals([argparse.Namespace])
m = torch.load("model.pt")
m.eval()
)");
  auto sites = Sites();
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  ASSERT_NE(load, nullptr);
  EXPECT_TRUE(load->result_used_as_module);
  EXPECT_EQ(load->used_as_module_at.line, 6u);
  const CallSite* safe = Find(sites, CallKind::kAddSafeGlobals);
  ASSERT_NE(safe, nullptr);
  ASSERT_EQ(safe->safe_globals.size(), 1u);
  EXPECT_EQ(safe->safe_globals[0], "argparse.Namespace");
}

TEST_F(CallSitesTest, UnrelatedLoadFunctionsAreNotTorchLoad) {
  Add("x.py", "x", R"(
import json
import pickle
data = json.load(open("a.json"))
obj = pickle.load(open("b.pkl", "rb"))
def load(p):
    return p
load("c.pt")
)");
  auto sites = Sites();
  EXPECT_EQ(Find(sites, CallKind::kTorchLoad), nullptr);
}

}  // namespace
}  // namespace ptlint
