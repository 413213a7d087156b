#include "rules/core/finding_groups.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

Diagnostic Rename(const std::string& checkpoint, int layer, const std::string& load_path, int load_line) {
  Diagnostic d;
  d.code = "PTL204";
  d.checkpoint = checkpoint;
  d.location = {"models.py", 7, 9, 7, 23};
  d.message = "`layers." + std::to_string(layer) + ".attn` in " + checkpoint + " is ...";
  d.cause = "PTL204|models.Net|models.py:7|layers.N.attn->layers.N.attention|re";
  d.instance = "layers." + std::to_string(layer);
  d.cause_message = "`layers.N.attn` in the checkpoints is `layers.N.attention` in Net";
  d.related.push_back({{checkpoint, 0, 0, 0, 0}, "the checkpoint still uses `layers.N.attn`"});
  d.edits.push_back({{load_path, load_line, 23, load_line, 50}, "{re.sub(...): v for k, v in ...}"});
  d.edits.push_back({{load_path, 1, 1, 1, 1}, "import re\n"});
  return d;
}

// Issue 13: twelve layers × two checkpoints were 24 findings with 24 fixes.
TEST(FindingGroupsTest, OneCauseInTwelveLayersAndTwoCheckpointsIsOneFinding) {
  std::vector<Diagnostic> in;
  for (const char* ckpt : {"ckpt/pretrained.pt", "ckpt/finetuned.pt"}) {
    for (int layer = 11; layer >= 0; --layer) {
      in.push_back(Rename(ckpt, layer, "load.py", ckpt[5] == 'p' ? 6 : 9));
    }
  }
  Diagnostic other;
  other.code = "PTL201";
  other.message = "missing";
  in.push_back(other);
  std::vector<Diagnostic> out = GroupFindingsByCause(in);
  ASSERT_EQ(out.size(), 2u);
  const Diagnostic& g = out[0];
  EXPECT_EQ(g.message, "`layers.N.attn` in the checkpoints is `layers.N.attention` in Net (12 layers × 2 checkpoints)");
  EXPECT_EQ(g.instances_summary, "12 layers × 2 checkpoints");
  ASSERT_EQ(g.instances.size(), 24u);
  EXPECT_EQ(g.instances[0].checkpoint, "ckpt/finetuned.pt");
  EXPECT_EQ(g.instances[0].instance, "layers.0");
  EXPECT_EQ(g.instances[2].instance, "layers.2");  // natural order, not layers.10
  // One fix: each load site's rewrite once, the import once.
  EXPECT_EQ(g.edits.size(), 3u);
  EXPECT_EQ(g.related.size(), 2u);
  EXPECT_EQ(CompactInstances(g), "ckpt/finetuned.pt, ckpt/pretrained.pt: layers.0-11");
  EXPECT_TRUE(out[1].instances.empty());
  EXPECT_EQ(out[1].message, "missing");
}

TEST(FindingGroupsTest, AFindingAloneKeepsItsOwnWords) {
  std::vector<Diagnostic> out = GroupFindingsByCause({Rename("ckpt/a.pt", 0, "load.py", 6)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message, "`layers.0.attn` in ckpt/a.pt is ...");
  EXPECT_TRUE(out[0].instances.empty());
}

TEST(FindingGroupsTest, UnevenInstancesAreCountedNotMultiplied) {
  std::vector<Diagnostic> in = {Rename("a.pt", 0, "l.py", 3), Rename("a.pt", 1, "l.py", 3),
                                Rename("b.pt", 0, "l.py", 4), Rename("a.pt", 5, "l.py", 3)};
  std::vector<Diagnostic> out = GroupFindingsByCause(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].instances_summary, "4 instances: 3 layers in 2 checkpoints");
  EXPECT_EQ(CompactInstances(out[0]), "a.pt: layers.0-1, layers.5; b.pt: layers.0");
}

TEST(FindingGroupsTest, OneInstanceInTwoCheckpointsNamesTheRealKey) {
  auto resized = [](const std::string& checkpoint) {
    Diagnostic d;
    d.code = "PTL203";
    d.checkpoint = checkpoint;
    d.message = "size mismatch for features.0.weight: " + checkpoint + " has [16, 3, 3, 3]";
    d.cause = "PTL203|ConvNet|models.py:9:25|features.N.weight";
    d.instance = "features.0";
    d.cause_message = "size mismatch for features.N.weight: the checkpoint has [16, 3, 3, 3]";
    return d;
  };
  std::vector<Diagnostic> out = GroupFindingsByCause({resized("ckpt/model.pt"), resized("ckpt/last.pt")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].instances_summary, "2 checkpoints");
  EXPECT_EQ(out[0].message, "size mismatch for features.0.weight: the checkpoint has [16, 3, 3, 3] (2 checkpoints)");
}

TEST(FindingGroupsTest, IndexedPattern) {
  std::string instance;
  EXPECT_EQ(IndexedPattern("h.3.attn.c_proj.weight", &instance), "h.N.attn.c_proj.weight");
  EXPECT_EQ(instance, "h.3");
  EXPECT_EQ(IndexedPattern("stages.1.blocks.2.fc.bias", &instance), "stages.N.blocks.N.fc.bias");
  EXPECT_EQ(instance, "stages.1.blocks.2");
  EXPECT_EQ(IndexedPattern("fc.weight", &instance), "fc.weight");
  EXPECT_EQ(instance, "");
}

}  // namespace
}  // namespace ptlint
