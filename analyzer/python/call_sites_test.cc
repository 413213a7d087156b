#include "analyzer/python/call_sites.h"

#include <gtest/gtest.h>

#include <filesystem>

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

// The key rewrites ptlint's own quick fixes insert between torch.load and
// load_state_dict are understood: the load is still followed, with the
// rewrite applied to its keys (issue 13: a fixed project re-checked).
TEST_F(CallSitesTest, FollowsLoadThroughKeyRewritingComprehensions) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/load.py", "pkg.load", R"PY(
import re
import torch
from pkg.models import Net

a = Net()
a.load_state_dict({re.sub(r"^layers\.(\d+)\.attn\.", r"layers.\g<1>.attention.", k): v for k, v in torch.load("ckpt/a.pt").items()})
sd = torch.load("ckpt/b.pt")
sd = {("encoder." + k[4:] if k.startswith("enc.") else k): v for k, v in sd.items()}
sd = {k: v for k, v in sd.items() if not k.startswith("head.")}
b = Net()
b.load_state_dict(sd)
c = Net()
c.load_state_dict({k.upper(): v for k, v in torch.load("ckpt/c.pt").items()})
sd = torch.load("ckpt/d.pt")
sd = {k[len("module."):]: v for k, v in sd.items()}
d = Net()
d.load_state_dict(sd)
e = Net()
e.load_state_dict({k[:7]: v for k, v in torch.load("ckpt/e.pt").items()})
)PY");
  auto sites = Sites();
  const CallSite* a = Find(sites, CallKind::kLoadStateDict, 0);
  const CallSite* b = Find(sites, CallKind::kLoadStateDict, 1);
  const CallSite* c = Find(sites, CallKind::kLoadStateDict, 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  ASSERT_GE(a->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(a->load_site)].checkpoint.text, "ckpt/a.pt");
  ASSERT_EQ(a->key_rewrites.size(), 1u);
  EXPECT_EQ(a->key_rewrites[0].Apply("layers.11.attn.weight"), "layers.11.attention.weight");
  EXPECT_EQ(a->key_rewrites[0].Apply("head.weight"), "head.weight");
  ASSERT_GE(b->load_site, 0);
  ASSERT_EQ(b->key_rewrites.size(), 2u);
  EXPECT_EQ(b->key_rewrites[0].Apply("enc.0.weight"), "encoder.0.weight");
  EXPECT_EQ(b->key_rewrites[1].Apply("head.bias"), std::nullopt);
  EXPECT_EQ(b->key_rewrites[1].Apply("encoder.0.bias"), "encoder.0.bias");
  // A rewrite ptlint cannot read: the load is not followed from this site.
  EXPECT_LT(c->load_site, 0);
  // An unconditional slice: every key loses its first 7 characters.
  const CallSite* d = Find(sites, CallKind::kLoadStateDict, 3);
  ASSERT_NE(d, nullptr);
  ASSERT_GE(d->load_site, 0);
  ASSERT_EQ(d->key_rewrites.size(), 1u);
  EXPECT_EQ(d->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(d->key_rewrites[0].Apply("_orig_mod.fc.weight"), "od.fc.weight");
  EXPECT_EQ(d->key_rewrites[0].Apply("fc"), "");
  // `k[:7]` keeps the start: not a strip ptlint reads.
  const CallSite* e = Find(sites, CallKind::kLoadStateDict, 4);
  ASSERT_NE(e, nullptr);
  EXPECT_LT(e->load_site, 0);
}

// What real projects write to strip `module.` between torch.load and
// load_state_dict: the forum loop into an OrderedDict and
// consume_prefix_in_state_dict_if_present are read as rewrites; an in-place
// pop/re-insert, `del`, `update` are changes ptlint does not follow (the load
// is kept, its keys marked unknown); a change to another entry of a wrapper
// dict does not touch the state dict read from it.
TEST_F(CallSitesTest, InPlaceChangesAndLoopsOnALoadedStateDict) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/load.py", "pkg.load", R"PY(
from collections import OrderedDict
import torch
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
from pkg.models import Net

sd = torch.load("ckpt/a.pt")
new_sd = OrderedDict()
for k, v in sd.items():
    name = k[7:]  # remove `module.`
    new_sd[name] = v
Net().load_state_dict(new_sd)

ckpt = torch.load("ckpt/b.pt")
consume_prefix_in_state_dict_if_present(ckpt["model"], "module.")
ckpt.pop("optimizer")
Net().load_state_dict(ckpt["model"])

sd = torch.load("ckpt/c.pt")
for key in list(sd.keys()):
    sd[key[7:]] = sd.pop(key)
Net().load_state_dict(sd)

ckpt = torch.load("ckpt/d.pt")
del ckpt["model"]["fc.weight"]
Net().load_state_dict(ckpt["model"])

filled = {"extra": 1}
sd = torch.load("ckpt/e.pt")
for k, v in sd.items():
    filled[k] = v
Net().load_state_dict(filled)

sd = torch.load("ckpt/f.pt")
model_sd = sd.pop("model")
Net().load_state_dict(model_sd)
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  const CallSite* loop = lsd(0);
  ASSERT_NE(loop, nullptr);
  ASSERT_GE(loop->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(loop->load_site)].checkpoint.text, "ckpt/a.pt");
  ASSERT_EQ(loop->key_rewrites.size(), 1u);
  EXPECT_EQ(loop->key_rewrites[0].kind, LoadKeyRewrite::Kind::kDropChars);
  EXPECT_EQ(loop->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  EXPECT_FALSE(loop->key_rewrites[0].keeps_metadata);

  const CallSite* consume = lsd(1);
  ASSERT_NE(consume, nullptr);
  ASSERT_GE(consume->load_site, 0);
  EXPECT_EQ(consume->keys, std::vector<std::string>{"model"});
  ASSERT_EQ(consume->key_rewrites.size(), 1u) << "the pop of another entry must not count";
  EXPECT_EQ(consume->key_rewrites[0].kind, LoadKeyRewrite::Kind::kPrefix);
  EXPECT_TRUE(consume->key_rewrites[0].entry.empty());
  EXPECT_TRUE(consume->key_rewrites[0].keeps_metadata);
  EXPECT_EQ(consume->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(consume->key_rewrites[0].Apply("fc.bias"), "fc.bias");

  const CallSite* pop = lsd(2);
  ASSERT_NE(pop, nullptr);
  ASSERT_GE(pop->load_site, 0);
  ASSERT_FALSE(pop->key_rewrites.empty());
  EXPECT_EQ(pop->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_NE(pop->key_rewrites[0].unfollowed_what.find("pkg/load.py:21"), std::string::npos)
      << pop->key_rewrites[0].unfollowed_what;

  const CallSite* del = lsd(3);
  ASSERT_NE(del, nullptr);
  ASSERT_EQ(del->key_rewrites.size(), 1u);
  EXPECT_EQ(del->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_TRUE(del->key_rewrites[0].entry.empty());

  // Not an empty dict: not the loop; the dict is not the load.
  const CallSite* filled = lsd(4);
  ASSERT_NE(filled, nullptr);
  EXPECT_LT(filled->load_site, 0);

  const CallSite* popped = lsd(5);
  ASSERT_NE(popped, nullptr);
  ASSERT_GE(popped->load_site, 0);
  EXPECT_EQ(popped->keys, std::vector<std::string>{"model"});
  EXPECT_TRUE(popped->key_rewrites.empty());
}

// `k.replace(OLD, NEW)` (the most common way to strip `module.`), in a
// comprehension and in the forum loop, is Python's str.replace on every key:
// every occurrence, or the first N with a count. A computed count or a
// non-literal argument is not understood (the load is not followed).
TEST_F(CallSitesTest, StrReplaceOnTheKeysIsARewrite) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/load.py", "pkg.load", R"PY(
import torch
from pkg.models import Net

sd = torch.load("ckpt/a.pt")
Net().load_state_dict({k.replace("module.", ""): v for k, v in sd.items()})

sd = torch.load("ckpt/b.pt")
new_sd = {}
for k, v in sd.items():
    name = k.replace("module.", "", 1)
    new_sd[name] = v
Net().load_state_dict(new_sd)

n = 1
sd = torch.load("ckpt/c.pt")
Net().load_state_dict({k.replace("module.", "", n): v for k, v in sd.items()})
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  const CallSite* all = lsd(0);
  ASSERT_NE(all, nullptr);
  ASSERT_GE(all->load_site, 0);
  ASSERT_EQ(all->key_rewrites.size(), 1u);
  EXPECT_EQ(all->key_rewrites[0].kind, LoadKeyRewrite::Kind::kReplace);
  EXPECT_EQ(all->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(all->key_rewrites[0].Apply("module.module.fc.weight"), "fc.weight");
  const CallSite* first = lsd(1);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->key_rewrites.size(), 1u);
  EXPECT_EQ(first->key_rewrites[0].kind, LoadKeyRewrite::Kind::kReplace);
  EXPECT_EQ(first->key_rewrites[0].Apply("module.module.fc.weight"), "module.fc.weight");
  const CallSite* computed = lsd(2);
  ASSERT_NE(computed, nullptr);
  for (const LoadKeyRewrite& r : computed->key_rewrites) EXPECT_NE(r.kind, LoadKeyRewrite::Kind::kReplace);
}

// A followed load handed to a project function that changes that parameter
// in place (directly, or by handing it on to one that does): recorded as an
// unfollowed change named by the call. Functions that only read it do not
// count.
TEST_F(CallSitesTest, LoadPassedToAProjectFunctionThatChangesItInPlace) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/utils.py", "pkg.utils", R"PY(
import torch

def strip_module(sd):
    for k in list(sd):
        sd[k[7:]] = sd.pop(k)

def drop_head(state):
    del state["head.weight"]

def clean(sd, verbose=False):
    drop_head(sd)

def show(model, sd):
    print(len(sd), list(sd.keys()))
    model.load_state_dict(sd)
    torch.save(sd, "copy.pt")

def strip_model_entry(ckpt):
    ckpt["model"].update({})

def log_all(*tensors, **named):
    tensors[0].clear()
)PY");
  Add("pkg/load.py", "pkg.load", R"PY(
import torch
from pkg.models import Net
from pkg.utils import strip_module, clean, show, strip_model_entry, log_all

sd = torch.load("ckpt/a.pt")
strip_module(sd)
Net().load_state_dict(sd)

sd = torch.load("ckpt/b.pt")
clean(sd=sd)
Net().load_state_dict(sd)

sd = torch.load("ckpt/c.pt")
show(Net(), sd)
Net().load_state_dict(sd)

ckpt = torch.load("ckpt/d.pt")
strip_module(ckpt["model"])
Net().load_state_dict(ckpt["model"])

ckpt = torch.load("ckpt/e.pt")
strip_model_entry(ckpt)
Net().load_state_dict(ckpt["model"])
Net().load_state_dict(ckpt["ema"])

sd = torch.load("ckpt/f.pt")
log_all(sd)
Net().load_state_dict(sd)

sd = torch.load("ckpt/g.pt")
log_all(**{"x": 1}, extra=sd)
Net().load_state_dict(sd)
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) {
    // The sites in load.py (show() has its own inside utils.py).
    for (const CallSite& s : sites) {
      if (s.kind == CallKind::kLoadStateDict && s.path == "pkg/load.py" && nth-- == 0) return &s;
    }
    return static_cast<const CallSite*>(nullptr);
  };
  const CallSite* stripped = lsd(0);
  ASSERT_NE(stripped, nullptr);
  ASSERT_GE(stripped->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(stripped->load_site)].checkpoint.text, "ckpt/a.pt");
  ASSERT_FALSE(stripped->key_rewrites.empty());  // the pop and the store, as inline
  for (const LoadKeyRewrite& r : stripped->key_rewrites) {
    EXPECT_EQ(r.kind, LoadKeyRewrite::Kind::kUnfollowed);
    EXPECT_TRUE(r.entry.empty());
  }
  const std::string& what = stripped->key_rewrites[0].unfollowed_what;
  EXPECT_NE(what.find("`strip_module(sd)` at pkg/load.py:7"), std::string::npos) << what;
  EXPECT_NE(what.find("pkg/utils.py:6"), std::string::npos) << what;

  const CallSite* handed_on = lsd(1);
  ASSERT_NE(handed_on, nullptr);
  ASSERT_GE(handed_on->load_site, 0);
  ASSERT_EQ(handed_on->key_rewrites.size(), 1u) << "clean() hands sd to drop_head(), which deletes a key";
  EXPECT_EQ(handed_on->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_NE(handed_on->key_rewrites[0].unfollowed_what.find("clean(sd=sd)"), std::string::npos);

  const CallSite* read_only = lsd(2);
  ASSERT_NE(read_only, nullptr);
  ASSERT_GE(read_only->load_site, 0);
  EXPECT_TRUE(read_only->key_rewrites.empty()) << "len, print, keys(), load_state_dict, torch.save only read it";

  const CallSite* entry = lsd(3);
  ASSERT_NE(entry, nullptr);
  ASSERT_GE(entry->load_site, 0);
  EXPECT_EQ(entry->keys, std::vector<std::string>{"model"});
  ASSERT_FALSE(entry->key_rewrites.empty());
  for (const LoadKeyRewrite& r : entry->key_rewrites) EXPECT_EQ(r.kind, LoadKeyRewrite::Kind::kUnfollowed);

  // The function changed ckpt["model"]: that entry is unfollowed, "ema" is not.
  const CallSite* model_entry = lsd(4);
  const CallSite* ema_entry = lsd(5);
  ASSERT_NE(model_entry, nullptr);
  ASSERT_NE(ema_entry, nullptr);
  ASSERT_EQ(model_entry->key_rewrites.size(), 1u);
  EXPECT_EQ(model_entry->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_TRUE(ema_entry->key_rewrites.empty());

  // Into *args, or with a splat at the call: which parameter it is, and so
  // what the body does to it, is not followed.
  for (int i : {6, 7}) {
    const CallSite* starred = lsd(i);
    ASSERT_NE(starred, nullptr);
    ASSERT_GE(starred->load_site, 0);
    ASSERT_FALSE(starred->key_rewrites.empty()) << i;
    EXPECT_EQ(starred->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  }
}

// Recursion and long chains of functions handing the load on end (each
// body is walked once, at most a few calls deep); what ptlint could not walk
// counts as changed in place, so drift is silenced, never guessed.
TEST_F(CallSitesTest, LoadHandedToRecursiveOrLongChainsOfFunctionsEnds) {
  Add("pkg/models.py", "pkg.models", kModels);
  std::string chain;
  for (int i = 0; i < 40; ++i) {
    chain += "def f" + std::to_string(i) + "(sd):\n    f" + std::to_string(i + 1) + "(sd)\n    f" +
             std::to_string(i + 1) + "(sd)\n\n";
  }
  chain += "def f40(sd):\n    return len(sd)\n";
  Add("pkg/chain.py", "pkg.chain", chain);
  Add("pkg/load.py", "pkg.load", R"PY(
import torch
from pkg.models import Net
from pkg.chain import f0, f38

def walk(sd, depth):
    if depth:
        walk(sd, depth - 1)
        other(sd)

def other(sd):
    walk(sd, 0)

sd = torch.load("ckpt/a.pt")
walk(sd, 3)
Net().load_state_dict(sd)

sd = torch.load("ckpt/b.pt")
f0(sd)
Net().load_state_dict(sd)

sd = torch.load("ckpt/c.pt")
f38(sd)
Net().load_state_dict(sd)
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  for (int i = 0; i < 3; ++i) {
    const CallSite* site = lsd(i);
    ASSERT_NE(site, nullptr);
    EXPECT_GE(site->load_site, 0) << "the load stays bound";
  }
  ASSERT_FALSE(lsd(0)->key_rewrites.empty()) << "recursion: not walked, so not known to leave it alone";
  EXPECT_EQ(lsd(0)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  ASSERT_FALSE(lsd(1)->key_rewrites.empty()) << "too long a chain to walk";
  EXPECT_TRUE(lsd(2)->key_rewrites.empty()) << "f38 -> f39 -> f40 only reads it";
}

// A project function that returns a new dict built from the load by the
// forum loop: its value is the load, keys rewritten as by the same loop
// inline. A dict it builds some other way is the load changed in code ptlint
// does not follow; a module it builds stays a factory's result.
TEST_F(CallSitesTest, LoadReturnedRewrittenByAProjectFunction) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/utils.py", "pkg.utils", R"PY(
from collections import OrderedDict
from pkg.models import Net

def strip_module(sd):
    new = OrderedDict()
    for k, v in sd.items():
        new[k[7:]] = v
    return new

def fix_keys(state_dict):
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict.items()}

def replace_keys(sd):
    return {k.split(".", 1)[-1]: v for k, v in sd.items()}

def build(ckpt):
    return Net()

def replace_loop(sd):
    new = {}
    for key, value in sd.items():
        new[key.lower()] = value
    return new

def wrap(sd):
    return {"model": sd, "epoch": 1}
)PY");
  Add("pkg/load.py", "pkg.load", R"PY(
import torch
from pkg.utils import strip_module, fix_keys, replace_keys, build, replace_loop, wrap

sd = torch.load("ckpt/a.pt")
sd = strip_module(sd)
model = build(sd)
model.load_state_dict(sd)

ckpt = torch.load("ckpt/b.pt")
new_sd = fix_keys(ckpt["model"])
model.load_state_dict(new_sd)

sd = torch.load("ckpt/c.pt")
model.load_state_dict(replace_keys(sd))

model.load_state_dict(replace_loop(torch.load("ckpt/d.pt")))

wrapped = wrap(torch.load("ckpt/e.pt"))
model.load_state_dict(wrapped["model"])
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  const CallSite* loop = lsd(0);
  ASSERT_NE(loop, nullptr);
  ASSERT_GE(loop->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(loop->load_site)].checkpoint.text, "ckpt/a.pt");
  EXPECT_EQ(loop->receiver_factory, "pkg.utils.build") << "a module built from the load is still a factory's";
  ASSERT_EQ(loop->key_rewrites.size(), 1u);
  EXPECT_EQ(loop->key_rewrites[0].kind, LoadKeyRewrite::Kind::kDropChars);
  EXPECT_EQ(loop->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");

  const CallSite* entry = lsd(1);
  ASSERT_NE(entry, nullptr);
  ASSERT_GE(entry->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(entry->load_site)].checkpoint.text, "ckpt/b.pt");
  EXPECT_EQ(entry->keys, std::vector<std::string>{"model"});
  ASSERT_EQ(entry->key_rewrites.size(), 1u);
  EXPECT_EQ(entry->key_rewrites[0].kind, LoadKeyRewrite::Kind::kPrefix);
  EXPECT_EQ(entry->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  EXPECT_EQ(entry->key_rewrites[0].Apply("fc.bias"), "fc.bias");

  const CallSite* replaced = lsd(2);
  ASSERT_NE(replaced, nullptr);
  ASSERT_GE(replaced->load_site, 0) << "the load stays bound";
  ASSERT_EQ(replaced->key_rewrites.size(), 1u);
  EXPECT_EQ(replaced->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_NE(replaced->key_rewrites[0].unfollowed_what.find("replace_keys(sd)"), std::string::npos);

  const CallSite* filled = lsd(3);
  ASSERT_NE(filled, nullptr);
  ASSERT_GE(filled->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(filled->load_site)].checkpoint.text, "ckpt/d.pt");
  ASSERT_EQ(filled->key_rewrites.size(), 1u);
  EXPECT_EQ(filled->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);

  // A dict literal holding the load is not the load under new keys.
  const CallSite* wrapped = lsd(4);
  ASSERT_NE(wrapped, nullptr);
  EXPECT_LT(wrapped->load_site, 0);
}

// Methods as loaders: a method of the loading class (`self._fix_keys(sd)`),
// a @staticmethod through the class, a @classmethod through self, and a
// method of an imported module's function (`utils.strip(sd)`) rewrite the
// keys as if written inline. A method ptlint cannot pin down (inherited,
// overridden by a subclass, decorated) changes the load in code ptlint does
// not follow; an in-place change in a method is recorded on the argument.
TEST_F(CallSitesTest, LoadRewrittenByAMethod) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/utils.py", "pkg.utils", R"PY(
def strip(sd):
    return {k.removeprefix("module."): v for k, v in sd.items()}
)PY");
  Add("pkg/load.py", "pkg.load", R"PY(
import functools
import torch
import pkg.utils as utils
from pkg.models import Net

class Base:
    def inherited(self, sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

class Trainer(Base):
    def _fix_keys(self, sd):
        return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}

    @staticmethod
    def clean(sd):
        return {k.removeprefix("model."): v for k, v in sd.items()}

    @classmethod
    def strip(cls, sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    def in_place(self, sd):
        for k in list(sd):
            sd[k[7:]] = sd.pop(k)

    @functools.lru_cache()
    def cached(self, sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    def overridden(self, sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    def restore(self):
        model = Net()
        sd = torch.load("ckpt/a.pt")
        sd = self._fix_keys(sd)
        model.load_state_dict(sd)
        sd = torch.load("ckpt/b.pt")
        model.load_state_dict(Trainer.clean(sd))
        sd = torch.load("ckpt/c.pt")
        model.load_state_dict(self.strip(sd))
        sd = torch.load("ckpt/d.pt")
        model.load_state_dict(utils.strip(sd))
        sd = torch.load("ckpt/e.pt")
        self.in_place(sd)
        model.load_state_dict(sd)
        sd = torch.load("ckpt/f.pt")
        self.inherited(sd)
        model.load_state_dict(sd)
        sd = torch.load("ckpt/g.pt")
        self.cached(sd)
        model.load_state_dict(sd)
        sd = torch.load("ckpt/h.pt")
        self.overridden(sd)
        model.load_state_dict(sd)
        sd = torch.load("ckpt/i.pt")
        model.load_state_dict(self.overridden(sd))

class Special(Trainer):
    def overridden(self, sd):
        return sd
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  auto file_of = [&](const CallSite* s) { return sites[static_cast<size_t>(s->load_site)].checkpoint.text; };
  for (int i = 0; i < 8; ++i) {
    ASSERT_NE(lsd(i), nullptr) << i;
    ASSERT_GE(lsd(i)->load_site, 0) << i << ": the load stays bound";
    EXPECT_EQ(file_of(lsd(i)), std::string("ckpt/") + static_cast<char>('a' + i) + ".pt");
    ASSERT_GE(lsd(i)->key_rewrites.size(), 1u) << i;
  }
  // Followed exactly: the same rewrite as inline.
  for (int i : {0, 2, 3}) {
    EXPECT_NE(lsd(i)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed) << i;
    EXPECT_EQ(lsd(i)->key_rewrites[0].Apply("module.fc.weight"), "fc.weight") << i;
  }
  EXPECT_EQ(lsd(1)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kPrefix);
  EXPECT_EQ(lsd(1)->key_rewrites[0].Apply("module.fc.weight"), "module.fc.weight") << "the static strips model.";
  EXPECT_EQ(lsd(1)->key_rewrites[0].Apply("model.fc.weight"), "fc.weight");
  // Not guessed: changed in place, inherited, decorated, overridden by a subclass.
  for (int i : {0, 1, 2, 3}) EXPECT_EQ(lsd(i)->key_rewrites.size(), 1u) << i;
  for (int i : {4, 5, 6, 7}) {
    for (const LoadKeyRewrite& r : lsd(i)->key_rewrites) EXPECT_EQ(r.kind, LoadKeyRewrite::Kind::kUnfollowed) << i;
  }
  EXPECT_NE(lsd(4)->key_rewrites[0].unfollowed_what.find("self.in_place(sd)"), std::string::npos);
  EXPECT_NE(lsd(7)->key_rewrites[0].unfollowed_what.find("self.overridden(sd)"), std::string::npos);
  // What such a method returns is not the load.
  ASSERT_NE(lsd(8), nullptr);
  EXPECT_LT(lsd(8)->load_site, 0);
}

// A function defined inside the loading function (`def fix(sd)` then
// `sd = fix(sd)`) is followed as a module function is; it shadows a module
// function of the same name, and a decorated one is not guessed.
TEST_F(CallSitesTest, LoadRewrittenByANestedFunction) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/load.py", "pkg.load", R"PY(
import functools
import torch
from pkg.models import Net

def fix(sd):
    return {k.removeprefix("module."): v for k, v in sd.items()}

def main():
    def fix(sd):
        return {k.removeprefix("model."): v for k, v in sd.items()}

    @functools.lru_cache()
    def cached(sd):
        return {k.removeprefix("module."): v for k, v in sd.items()}

    model = Net()
    sd = torch.load("ckpt/a.pt")
    sd = fix(sd)
    model.load_state_dict(sd)
    sd = torch.load("ckpt/b.pt")
    cached(sd)
    model.load_state_dict(sd)

def other():
    model = Net()
    sd = torch.load("ckpt/c.pt")
    model.load_state_dict(fix(sd))

def conditional(strip):
    if strip:
        def fix(sd):
            return {k.removeprefix("model."): v for k, v in sd.items()}
    model = Net()
    sd = torch.load("ckpt/d.pt")
    fix(sd)
    model.load_state_dict(sd)

def shadowed():
    fix = lambda sd: sd
    model = Net()
    sd = torch.load("ckpt/e.pt")
    model.load_state_dict(fix(sd))
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(lsd(i), nullptr) << i;
    ASSERT_GE(lsd(i)->load_site, 0) << i;
    ASSERT_EQ(lsd(i)->key_rewrites.size(), 1u) << i;
  }
  EXPECT_EQ(lsd(0)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kPrefix);
  EXPECT_EQ(lsd(0)->key_rewrites[0].Apply("model.fc.weight"), "fc.weight") << "main's own fix, not the module's";
  EXPECT_EQ(lsd(0)->key_rewrites[0].Apply("module.fc.weight"), "module.fc.weight");
  EXPECT_EQ(lsd(1)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  EXPECT_EQ(lsd(2)->key_rewrites[0].Apply("module.fc.weight"), "fc.weight") << "outside main: the module's fix";
  // A def under a condition is not the module's fix, nor surely its own.
  ASSERT_NE(lsd(3), nullptr);
  ASSERT_EQ(lsd(3)->key_rewrites.size(), 1u);
  EXPECT_EQ(lsd(3)->key_rewrites[0].kind, LoadKeyRewrite::Kind::kUnfollowed);
  // A local name shadows the module's fix: its value is not the module fix's.
  ASSERT_NE(lsd(4), nullptr);
  EXPECT_LT(lsd(4)->load_site, 0);
}

// A loading helper of another project module, walked at each call with the
// call's arguments: its loads of a named file are recorded at the call (in
// the caller's file), linked to the load_state_dict they feed, there or in
// the helper; through a module attribute and a helper calling a helper too.
TEST_F(CallSitesTest, LoadThroughAHelperOfAnotherModule) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/io.py", "pkg.io", R"PY(
import torch

def read_sd(path):
    return torch.load(path)
)PY");
  Add("pkg/ckpt.py", "pkg.ckpt", R"PY(
import torch
from pkg.io import read_sd

def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    return {k.replace("module.", ""): v for k, v in sd.items()}

def load_checkpoint(model, path):
    model.load_state_dict(torch.load(path)["state_dict"])

def load_via(path):
    return read_sd(path)

def load_fixed():
    return torch.load("ckpt/fixed.pt")
)PY");
  Add("pkg/train.py", "pkg.train", R"PY(
from pkg import ckpt
from pkg.ckpt import load_weights, load_checkpoint, load_via, load_fixed
from pkg.models import Net

model = Net()
model.load_state_dict(load_weights("ckpt/a.pt"))
load_checkpoint(Net(), "ckpt/b.pt")
model.load_state_dict(ckpt.load_weights("ckpt/c.pt"))
model.load_state_dict(load_via("ckpt/d.pt"))
model.load_state_dict(load_fixed())
)PY");
  auto sites = Sites();
  auto site_of = [&](const CallSite* lsd) -> const CallSite* {
    if (lsd == nullptr || lsd->load_site < 0) return nullptr;
    return &sites[static_cast<size_t>(lsd->load_site)];
  };
  std::vector<const CallSite*> in_train;
  for (const CallSite& s : sites) {
    if (s.kind == CallKind::kLoadStateDict && s.path == "pkg/train.py") in_train.push_back(&s);
  }
  ASSERT_EQ(in_train.size(), 5u);
  const CallSite* a = site_of(in_train[0]);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->checkpoint.text, "ckpt/a.pt");
  EXPECT_EQ(a->path, "pkg/train.py");
  EXPECT_EQ(a->start.line, 7u);  // the call of the helper
  EXPECT_TRUE(a->has_map_location);
  EXPECT_EQ(a->args_end.line, 0u);  // no argument list of the call to add map_location to
  ASSERT_EQ(in_train[0]->key_rewrites.size(), 1u);
  EXPECT_EQ(in_train[0]->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");
  // load_checkpoint(Net(), ...): its load_state_dict recorded at the call, into Net.
  const CallSite* b = in_train[1];
  EXPECT_EQ(b->start.line, 8u);
  EXPECT_EQ(b->receiver_class, "pkg.models.Net");
  EXPECT_EQ(b->keys, std::vector<std::string>{"state_dict"});
  ASSERT_NE(site_of(b), nullptr);
  EXPECT_EQ(site_of(b)->checkpoint.text, "ckpt/b.pt");
  EXPECT_FALSE(site_of(b)->has_map_location);
  ASSERT_NE(site_of(in_train[2]), nullptr);
  EXPECT_EQ(site_of(in_train[2])->checkpoint.text, "ckpt/c.pt");
  ASSERT_NE(site_of(in_train[3]), nullptr);  // load_via -> read_sd, a third module
  EXPECT_EQ(site_of(in_train[3])->checkpoint.text, "ckpt/d.pt");
  EXPECT_EQ(site_of(in_train[3])->start.line, 10u);
  // A path the helper names itself: its own site in pkg/ckpt.py reports
  // map_location; the copy at the call only links.
  const CallSite* fixed = site_of(in_train[4]);
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->checkpoint.text, "ckpt/fixed.pt");
  EXPECT_TRUE(fixed->has_map_location);
  int fixed_sites = 0;
  for (const CallSite& s : sites) fixed_sites += s.kind == CallKind::kTorchLoad && s.checkpoint.text == "ckpt/fixed.pt";
  EXPECT_EQ(fixed_sites, 2);
}

// A callee that cannot be pinned down leaves the load unlinked: imported
// twice (try/except), through two star imports, decorated, defined under a
// condition, rebound after its def, shadowed by a parameter, recursive, or
// more than three helpers deep.
TEST_F(CallSitesTest, HelperOfAnotherModuleNotPinnedDownIsNotFollowed) {
  Add("pkg/models.py", "pkg.models", kModels);
  const char* helper = R"PY(
import functools
import os
import torch

def load_a(path):
    return torch.load(path)

def load_star(path):
    return torch.load(path)

@functools.lru_cache()
def load_dec(path):
    return torch.load(path)

if os.environ.get("X"):
    def load_cond(path):
        return torch.load(path)

def load_rebound(path):
    return torch.load(path)
load_rebound = load_a

def load_rec(path):
    return load_rec2(path)

def load_rec2(path):
    return load_rec(path)

def load_d1(path):
    return load_d2(path)

def load_d2(path):
    return load_d3(path)

def load_d3(path):
    return load_d4(path)

def load_d4(path):
    return torch.load(path)
)PY";
  Add("pkg/h1.py", "pkg.h1", helper);
  Add("pkg/h2.py", "pkg.h2", helper);
  Add("pkg/s1.py", "pkg.s1", "from pkg.h1 import load_star\n");
  Add("pkg/s2.py", "pkg.s2", "from pkg.h2 import load_star\n");
  Add("pkg/train.py", "pkg.train", R"PY(
try:
    from pkg.h1 import load_a
except ImportError:
    from pkg.h2 import load_a
from pkg.s1 import *
from pkg.s2 import *
from pkg.h1 import load_dec, load_cond, load_rebound, load_rec, load_d1, load_d2
from pkg.models import Net

def run(load_d2):
    model = Net()
    model.load_state_dict(load_d2("ckpt/p.pt"))

model = Net()
model.load_state_dict(load_a("ckpt/a.pt"))
model.load_state_dict(load_star("ckpt/s.pt"))
model.load_state_dict(load_dec("ckpt/dec.pt"))
model.load_state_dict(load_cond("ckpt/cond.pt"))
model.load_state_dict(load_rebound("ckpt/reb.pt"))
model.load_state_dict(load_rec("ckpt/rec.pt"))
model.load_state_dict(load_d1("ckpt/deep.pt"))
model.load_state_dict(load_d2("ckpt/three.pt"))
)PY");
  auto sites = Sites();
  std::vector<const CallSite*> in_train;
  for (const CallSite& s : sites) {
    if (s.kind == CallKind::kLoadStateDict && s.path == "pkg/train.py") in_train.push_back(&s);
  }
  ASSERT_EQ(in_train.size(), 9u);
  for (size_t i = 0; i + 1 < in_train.size(); ++i) {
    EXPECT_LT(in_train[i]->load_site, 0) << in_train[i]->call_text;
  }
  // load_d2 -> load_d3 -> load_d4: three helpers, followed.
  ASSERT_GE(in_train.back()->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(in_train.back()->load_site)].checkpoint.text, "ckpt/three.pt");
  for (const CallSite& s : sites) {
    if (s.kind != CallKind::kTorchLoad) continue;
    EXPECT_TRUE(!s.checkpoint.known() || s.checkpoint.text == "ckpt/three.pt") << s.checkpoint.text;
  }
}

// A function of the same file that loads the file itself and returns the
// dict (rewritten or not): a call of it is that load, its path from the
// callers, its keys rewritten as the function does. A generator, returns
// that differ, or a call before the def are not followed.
TEST_F(CallSitesTest, LoadMadeAndReturnedByAHelper) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/load.py", "pkg.load", R"PY(
import torch
from pkg.models import Net

def load_weights(path):
    sd = torch.load(path, map_location="cpu")
    return {k.removeprefix("module."): v for k, v in sd.items()}

def load_raw(path):
    return torch.load(path)

def load_either(path, raw):
    sd = torch.load(path)
    if raw:
        return sd
    return {k.removeprefix("module."): v for k, v in sd.items()}

def load_gen(path):
    yield torch.load(path)
    return torch.load(path)

model = Net()
model.load_state_dict(load_weights("ckpt/a.pt"))
sd = load_raw("ckpt/b.pt")
model.load_state_dict(sd["model"])
model.load_state_dict(load_either("ckpt/c.pt", False))
model.load_state_dict(load_gen("ckpt/d.pt"))
)PY");
  auto sites = Sites();
  auto lsd = [&](int nth) { return Find(sites, CallKind::kLoadStateDict, nth); };
  const CallSite* a = lsd(0);
  ASSERT_NE(a, nullptr);
  ASSERT_GE(a->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(a->load_site)].checkpoint.text, "ckpt/a.pt");
  EXPECT_EQ(sites[static_cast<size_t>(a->load_site)].function, "load_weights");
  ASSERT_EQ(a->key_rewrites.size(), 1u);
  EXPECT_EQ(a->key_rewrites[0].kind, LoadKeyRewrite::Kind::kPrefix);
  EXPECT_EQ(a->key_rewrites[0].Apply("module.fc.weight"), "fc.weight");

  const CallSite* b = lsd(1);
  ASSERT_NE(b, nullptr);
  ASSERT_GE(b->load_site, 0);
  EXPECT_EQ(sites[static_cast<size_t>(b->load_site)].checkpoint.text, "ckpt/b.pt");
  EXPECT_EQ(b->keys, std::vector<std::string>{"model"});
  EXPECT_TRUE(b->key_rewrites.empty());

  ASSERT_NE(lsd(2), nullptr);
  EXPECT_LT(lsd(2)->load_site, 0) << "returns that differ";
  ASSERT_NE(lsd(3), nullptr);
  EXPECT_LT(lsd(3)->load_site, 0) << "a generator";
}

// `model = build(...)` of a project function: the receiver is the factory
// (the binding decides whether it builds a module), with its literal
// arguments; a class call still gives the class.
TEST_F(CallSitesTest, ReceiverBuiltByAProjectFunctionIsAFactory) {
  Add("pkg/models.py", "pkg.models", std::string(kModels) + R"(

def build(width, *, bias=True):
    return Net()
)");
  Add("pkg/load.py", "pkg.load", R"(
import torch
from pkg.models import build

model = build(4, bias=False)
model.load_state_dict(torch.load("ckpt/x.pt"))
other = len([1])
other.load_state_dict(torch.load("ckpt/y.pt"))
)");
  auto sites = Sites();
  const CallSite* lsd = Find(sites, CallKind::kLoadStateDict, 0);
  ASSERT_NE(lsd, nullptr);
  EXPECT_TRUE(lsd->receiver_class.empty());
  EXPECT_EQ(lsd->receiver_factory, "pkg.models.build");
  EXPECT_EQ(lsd->receiver_class_position.line, 5u);
  ASSERT_EQ(lsd->receiver_args.size(), 2u);
  EXPECT_EQ(lsd->receiver_args.at("0"), 4);
  EXPECT_EQ(lsd->receiver_args.at("bias"), false);
  // A builtin is not a project function.
  const CallSite* second = Find(sites, CallKind::kLoadStateDict, 1);
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->receiver_factory.empty());
  EXPECT_TRUE(second->receiver_class.empty());
}

// Lightning: `Cls.load_from_checkpoint(path, **overrides)` is the torch.load
// of the file plus Cls(...).load_state_dict(ckpt["state_dict"]); the
// overrides (not load_from_checkpoint's own parameters) are the receiver's
// arguments, and the result is a Cls instance.
TEST_F(CallSitesTest, LightningLoadFromCheckpoint) {
  Add("pkg/lit.py", "pkg.lit", R"(
import torch.nn as nn
import lightning.pytorch as pl

class Lit(pl.LightningModule):
    def __init__(self, hidden=32):
        super().__init__()
        self.fc = nn.Linear(4, hidden)
)");
  Add("pkg/run.py", "pkg.run", R"(
import torch
from pkg.lit import Lit

model = Lit.load_from_checkpoint("ckpt/last.ckpt", map_location="cpu", strict=False, hidden=8)
torch.save(model, "out/model.pt")
)");
  auto sites = Sites();
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  const CallSite* lsd = Find(sites, CallKind::kLoadStateDict);
  ASSERT_NE(load, nullptr);
  ASSERT_NE(lsd, nullptr);
  EXPECT_TRUE(load->lightning);
  EXPECT_EQ(load->checkpoint.text, "ckpt/last.ckpt");
  EXPECT_TRUE(lsd->lightning);
  EXPECT_EQ(lsd->receiver_class, "pkg.lit.Lit");
  EXPECT_EQ(lsd->load_site, static_cast<int>(load - sites.data()));
  EXPECT_EQ(lsd->keys, std::vector<std::string>{"state_dict"});
  EXPECT_TRUE(lsd->strict_false);
  ASSERT_EQ(lsd->receiver_args.size(), 1u);
  EXPECT_EQ(lsd->receiver_args.at("hidden"), 8);
  const CallSite* save = Find(sites, CallKind::kTorchSave);
  ASSERT_NE(save, nullptr);
  EXPECT_TRUE(save->saves_module);
  EXPECT_EQ(save->saved_class, "pkg.lit.Lit");
}

// Lightning resume: `trainer.fit(model, ckpt_path=p)` restores
// ckpt["state_dict"] into that model as the user built it; "last" / "best"
// and models that are not followed record nothing.
TEST_F(CallSitesTest, LightningTrainerResume) {
  Add("pkg/models.py", "pkg.models", kModels);
  Add("pkg/train.py", "pkg.train", R"(
import lightning.pytorch as pl
from pkg.models import Net

def main(dm, other):
    model = Net()
    trainer = pl.Trainer()
    trainer.fit(model, datamodule=dm, ckpt_path="ckpt/last.ckpt")
    trainer.test(model, ckpt_path="best")
    trainer.fit(other, ckpt_path="ckpt/other.ckpt")
)");
  auto sites = Sites();
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  const CallSite* lsd = Find(sites, CallKind::kLoadStateDict);
  ASSERT_NE(load, nullptr);
  ASSERT_NE(lsd, nullptr);
  EXPECT_TRUE(load->lightning);
  EXPECT_EQ(load->checkpoint.text, "ckpt/last.ckpt");
  EXPECT_FALSE(lsd->lightning);  // built by the user: no hyper_parameters
  EXPECT_EQ(lsd->receiver_class, "pkg.models.Net");
  EXPECT_EQ(lsd->keys, std::vector<std::string>{"state_dict"});
  EXPECT_EQ(lsd->load_site, static_cast<int>(load - sites.data()));
  EXPECT_EQ(Find(sites, CallKind::kTorchLoad, 1), nullptr);
  EXPECT_EQ(Find(sites, CallKind::kLoadStateDict, 1), nullptr);
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

namespace ptlint {
namespace {

constexpr const char* kSplitModels = R"(
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.backbone = nn.Linear(4, width)
        self.head = nn.Linear(width, 2)
)";

// Same fixture as CallSitesTest; its own name groups the optimizer cases.
class OptimizerCallSitesTest : public CallSitesTest {};

TEST_F(OptimizerCallSitesTest, ConstructionBoundToVariableAndWiredToItsLoad) {
  Add("pkg/models.py", "pkg.models", kSplitModels);
  Add("pkg/train.py", "pkg.train", R"(
import torch
from pkg.models import Net

def resume():
    model = Net(width=8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    ckpt = torch.load("ckpt/x.pt")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
)");
  auto sites = ExtractCallSites(index_);
  const CallSite* opt = Find(sites, CallKind::kOptimizer);
  ASSERT_NE(opt, nullptr);
  EXPECT_EQ(opt->optimizer_class, "torch.optim.Adam");
  EXPECT_EQ(opt->result_variable, "opt");
  EXPECT_EQ(opt->start.line, 7u);
  ASSERT_EQ(opt->group_sources.size(), 1u);
  EXPECT_EQ(opt->group_sources[0], "model");
  EXPECT_TRUE(opt->groups_known);
  EXPECT_EQ(opt->params_variable, "model");
  EXPECT_EQ(opt->params_class, "pkg.models.Net");
  EXPECT_EQ(opt->params_args.at("width"), 8);
  ASSERT_EQ(opt->group_prefixes.size(), 1u);
  EXPECT_EQ(opt->group_prefixes[0], "");

  const CallSite* model_lsd = Find(sites, CallKind::kLoadStateDict, 0);
  const CallSite* opt_lsd = Find(sites, CallKind::kLoadStateDict, 1);
  ASSERT_NE(model_lsd, nullptr);
  ASSERT_NE(opt_lsd, nullptr);
  EXPECT_EQ(model_lsd->optimizer_site, -1);
  EXPECT_EQ(opt_lsd->optimizer_site, static_cast<int>(opt - sites.data()));
  EXPECT_EQ(opt_lsd->receiver, "opt");
  EXPECT_TRUE(opt_lsd->receiver_class.empty());
  ASSERT_EQ(opt_lsd->keys.size(), 1u);
  EXPECT_EQ(opt_lsd->keys[0], "optimizer");
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  EXPECT_EQ(opt_lsd->load_site, static_cast<int>(load - sites.data()));
}

TEST_F(OptimizerCallSitesTest, ImportedClassesAndParameterGroups) {
  Add("pkg/models.py", "pkg.models", kSplitModels);
  Add("pkg/train.py", "pkg.train", R"(
from torch import optim
from torch.optim import SGD
from torch.optim.lr_scheduler import StepLR
from pkg.models import Net

net = Net()
a = optim.AdamW([{"params": net.backbone.parameters()}, {"params": net.head.parameters(), "lr": 0.1}])
b = SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
c = SGD([{"params": net.head.parameters()}, {"params": extra_params}], lr=0.1)
s = StepLR(a, 10)
)");
  auto sites = ExtractCallSites(index_);
  const CallSite* a = Find(sites, CallKind::kOptimizer, 0);
  const CallSite* b = Find(sites, CallKind::kOptimizer, 1);
  const CallSite* c = Find(sites, CallKind::kOptimizer, 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Find(sites, CallKind::kOptimizer, 3), nullptr) << "StepLR is not an optimizer";
  EXPECT_EQ(a->optimizer_class, "torch.optim.AdamW");
  EXPECT_TRUE(a->groups_known);
  EXPECT_EQ(a->group_sources, (std::vector<std::string>{"net.backbone", "net.head"}));
  EXPECT_EQ(a->group_prefixes, (std::vector<std::string>{"backbone.", "head."}));
  EXPECT_EQ(a->params_class, "pkg.models.Net");
  EXPECT_EQ(b->optimizer_class, "torch.optim.SGD");
  EXPECT_FALSE(b->groups_known);
  EXPECT_TRUE(b->group_sources.empty());
  EXPECT_FALSE(c->groups_known);
  EXPECT_EQ(c->group_sources, (std::vector<std::string>{"net.head", ""}));
}


// Files that cannot hold a call site are skipped before their tree is built
// (most of a big workspace); a renamed import still counts.
TEST_F(CallSitesTest, SkipsFilesThatNameNoCallWithoutParsingThem) {
  Add("pkg/layers.py", "pkg.layers", R"(
import torch.nn as nn

class Block(nn.Module):
    def _load_from_state_dict(self, *args):
        return super()._load_from_state_dict(*args)

def download(url):
    return url
)");
  Add("pkg/run.py", "pkg.run", R"(
from torch import load as read_checkpoint

state = read_checkpoint("ckpt/run.pt")
)");
  auto sites = Sites();
  const IndexedFile* layers = nullptr;
  for (const auto& f : index_.files()) {
    if (f->info.path == "pkg/layers.py") layers = f.get();
  }
  ASSERT_NE(layers, nullptr);
  EXPECT_FALSE(layers->materialized()) << "a file with no call word was parsed";
  const CallSite* load = Find(sites, CallKind::kTorchLoad);
  ASSERT_NE(load, nullptr) << "`from torch import load as x` must still be searched";
  EXPECT_EQ(load->checkpoint.text, "ckpt/run.pt");
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

class LoadPathsTest : public ::testing::Test {
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
  std::vector<const CallSite*> All(const std::vector<CallSite>& sites, CallKind kind) {
    std::vector<const CallSite*> out;
    for (const CallSite& s : sites) {
      if (s.kind == kind) out.push_back(&s);
    }
    return out;
  }
  ModuleIndex index_;
};

constexpr const char* kNet = R"(
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
)";

TEST_F(LoadPathsTest, ArgparseDefaultsFeedArgsAttributes) {
  Add("models.py", "models", kNet);
  Add("eval.py", "eval", R"(
import argparse
import torch
from models import Net

def get_parser():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt-path", "-c", default="ckpt/x.pt")
    p.add_argument("resume", nargs="?", default="ckpt/resume.pt")
    p.add_argument("--out", dest="output", default="out/y.pt")
    p.add_argument("--twice", default="a.pt")
    p.add_argument("--twice", default="b.pt")
    return p

def main(args):
    torch.load(args.ckpt_path)
    torch.load(args.resume)
    torch.load(args.output)
    torch.load(args.twice)

if __name__ == "__main__":
    opts = get_parser().parse_args()
    model = Net().to("cpu")
    model.load_state_dict(torch.load(opts.ckpt_path))
)");
  auto sites = Sites();
  auto loads = All(sites, CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 5u);
  EXPECT_EQ(loads[0]->checkpoint.text, "ckpt/x.pt");
  EXPECT_EQ(loads[1]->checkpoint.text, "ckpt/resume.pt");
  EXPECT_EQ(loads[2]->checkpoint.text, "out/y.pt");
  EXPECT_FALSE(loads[3]->checkpoint.known()) << loads[3]->checkpoint.text;  // two defaults
  EXPECT_EQ(loads[4]->checkpoint.text, "ckpt/x.pt");
}

TEST_F(LoadPathsTest, ModuleChainsKeepTheInstanceClass) {
  Add("models.py", "models", kNet);
  Add("eval.py", "eval", R"(
import torch
from models import Net

model = Net(3).to("cuda").eval()
model.load_state_dict(torch.load("ckpt/x.pt"))
other = Net().half().float().cuda()
other.load_state_dict(torch.load("ckpt/y.pt"))
)");
  auto sites = Sites();
  auto lsd = All(sites, CallKind::kLoadStateDict);
  ASSERT_EQ(lsd.size(), 2u);
  EXPECT_EQ(lsd[0]->receiver_class, "models.Net");
  EXPECT_EQ(lsd[0]->receiver_args.at("0"), 3);
  EXPECT_EQ(lsd[1]->receiver_class, "models.Net");
  EXPECT_EQ(All(sites, CallKind::kTorchLoad).size(), 2u);  // each load recorded once
}

TEST_F(LoadPathsTest, ParametersTakeTheValueTheirCallersAgreeOn) {
  Add("models.py", "models", kNet);
  Add("eval.py", "eval", R"(
import torch
from models import Net

class Evaluator:
    def __init__(self, path):
        self.run(Net(), path)

    def run(self, model, path):
        model.load_state_dict(torch.load(path))

def load(path, strict=True):
    return torch.load(path)

def load_two(path):
    return torch.load(path)

def with_default(path="ckpt/default.pt"):
    return torch.load(path)

def main(ckpt):
    Evaluator(ckpt)
    load(ckpt)

main("ckpt/x.pt")
load_two("ckpt/a.pt")
load_two("ckpt/b.pt")
with_default()
)");
  auto sites = Sites();
  auto loads = All(sites, CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 4u);
  EXPECT_EQ(loads[1]->checkpoint.text, "ckpt/x.pt");        // load <- main <- module
  EXPECT_FALSE(loads[2]->checkpoint.known());                // callers disagree
  EXPECT_EQ(loads[3]->checkpoint.text, "ckpt/default.pt");  // the default, no caller passes it
  // Evaluator(ckpt) calls the class, not a function defined here: self.run's
  // path is not known from that call, so it stays unknown.
  EXPECT_FALSE(loads[0]->checkpoint.known());
  auto lsd = All(sites, CallKind::kLoadStateDict);
  ASSERT_EQ(lsd.size(), 1u);
  EXPECT_EQ(lsd[0]->receiver_class, "models.Net");  // self.run(Net(), ...) seeds `model`
}

// The walk skips definitions that can hold no call site (no `load(`,
// `load_state_dict`, ... in their text) and name no function of the file
// that can: a caller that reaches the load only through another function
// (`other` -> `via` -> `restore`) is still walked, so its argument still
// keeps the callers from agreeing.
TEST_F(LoadPathsTest, DefinitionsThatReachALoadThroughAnotherFunctionAreWalked) {
  Add("models.py", "models", kNet);
  Add("run.py", "run", R"(
import torch
from models import Net

def restore(model, path):
    model.load_state_dict(torch.load(path))

def via(model, path):
    restore(model, path)

class Other:
    def go(self):
        via(Net(), "ckpt/b.pt")

def quiet(x):
    return x * 2

restore(Net(), "ckpt/a.pt")
)");
  auto loads = All(Sites(), CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_FALSE(loads[0]->checkpoint.known());  // a.pt from the module, b.pt from Other.go through via
}

TEST_F(LoadPathsTest, ADefinitionThatReachesNoLoadDoesNotChangeWhatCallersAgreeOn) {
  Add("models.py", "models", kNet);
  Add("run.py", "run", R"(
import torch
from models import Net

def restore(model, path):
    model.load_state_dict(torch.load(path))

def unrelated(path):
    return path + ".bak"

def main():
    restore(Net(), "ckpt/a.pt")

main()
)");
  auto sites = Sites();
  auto loads = All(sites, CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0]->checkpoint.text, "ckpt/a.pt");
  auto lsd = All(sites, CallKind::kLoadStateDict);
  ASSERT_EQ(lsd.size(), 1u);
  EXPECT_EQ(lsd[0]->receiver_class, "models.Net");
}

TEST_F(LoadPathsTest, ConfigDictsConstantsAndEnvironmentDefaults) {
  Add("settings.py", "settings", R"(
import os
ROOT = "ckpt"
CONFIG = {"model": {"path": os.path.join(ROOT, "x.pt")}, "lr": 0.1}
)");
  Add("eval.py", "eval", R"(
import os
import torch
import settings
from settings import CONFIG, ROOT

torch.load(CONFIG["model"]["path"])
torch.load(settings.CONFIG["model"]["path"])
cfg = dict(path=ROOT + "/y.pt")
torch.load(cfg["path"])
torch.load(cfg.get("path"))
torch.load(os.environ.get("CKPT", "ckpt/env.pt"))
)");
  auto sites = Sites();
  auto loads = All(sites, CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 5u);
  EXPECT_EQ(loads[0]->checkpoint.text, "ckpt/x.pt");
  EXPECT_EQ(loads[1]->checkpoint.text, "ckpt/x.pt");
  EXPECT_EQ(loads[2]->checkpoint.text, "ckpt/y.pt");
  EXPECT_EQ(loads[3]->checkpoint.text, "ckpt/y.pt");
  EXPECT_EQ(loads[4]->checkpoint.text, "ckpt/env.pt");
}

// A path with no literal file name binds to nothing (it would match every
// file); one that climbs out of the script's folder is resolved against it.
TEST_F(LoadPathsTest, UnresolvablePathsAreUnknownAndClimbingPathsResolve) {
  Add("proj/data.py", "data", R"(
import os
import torch

class Features:
    def __init__(self, folder):
        self.folder = folder
    def __getitem__(self, name):
        a = torch.load(os.path.join(self.folder, name))
        b = torch.load(f"{self.folder}/{name}.pt")
        c = torch.load(os.path.join(self.folder, f"epoch_{name}.pt"))
        d = torch.load("../ckpt/x.pt")
        return a, b, c, d
)");
  auto sites = Sites();
  auto loads = All(sites, CallKind::kTorchLoad);
  ASSERT_EQ(loads.size(), 4u);
  EXPECT_FALSE(loads[0]->checkpoint.known()) << loads[0]->checkpoint.text;
  EXPECT_FALSE(loads[1]->checkpoint.known()) << loads[1]->checkpoint.text;
  EXPECT_EQ(loads[2]->checkpoint.text, "*/epoch_*.pt");
  std::error_code ec;
  std::string expected = (std::filesystem::absolute("ckpt/x.pt", ec)).lexically_normal().generic_string();
  EXPECT_EQ(loads[3]->checkpoint.text, expected);
}

TEST_F(LoadPathsTest, SafeGlobalsFromAVariable) {
  Add("models.py", "models", kNet);
  Add("eval.py", "eval", R"(
import argparse
import torch
from models import Net

ALLOWED = [argparse.Namespace, Net]

def load(p):
    extra = [Net]
    torch.serialization.add_safe_globals(ALLOWED)
    with torch.serialization.safe_globals(extra):
        return torch.load(p)
)");
  auto sites = Sites();
  auto globals = All(sites, CallKind::kAddSafeGlobals);
  ASSERT_EQ(globals.size(), 2u);
  EXPECT_EQ(globals[0]->safe_globals, (std::vector<std::string>{"argparse.Namespace", "models.Net"}));
  EXPECT_EQ(globals[1]->safe_globals, (std::vector<std::string>{"models.Net"}));
}

// torch keys add_safe_globals by a class's own __module__: a re-exported
// class counts under its definition, a (class, "name") pair under the name.
TEST_F(LoadPathsTest, SafeGlobalsUnderTheNameTorchKeysThemBy) {
  Add("configs/__init__.py", "configs", "from configs.train import TrainConfig\n");
  Add("configs/train.py", "configs.train", "class TrainConfig:\n    lr = 0.1\n");
  Add("eval.py", "eval", R"(
import torch
from configs import TrainConfig

torch.serialization.add_safe_globals([TrainConfig])
torch.serialization.add_safe_globals([(TrainConfig, "configs.TrainConfig"), (TrainConfig, "__main__.TrainConfig")])
)");
  auto sites = Sites();
  auto globals = All(sites, CallKind::kAddSafeGlobals);
  ASSERT_EQ(globals.size(), 2u);
  EXPECT_EQ(globals[0]->safe_globals, (std::vector<std::string>{"configs.train.TrainConfig"}));
  EXPECT_EQ(globals[1]->safe_globals, (std::vector<std::string>{"configs.TrainConfig", "__main__.TrainConfig"}));
}

}  // namespace
}  // namespace ptlint
