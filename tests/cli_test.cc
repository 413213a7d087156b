// End-to-end tests of the ptlint binary on fixtures made by real torch.save
// (tests/make_fixtures.py): exit codes, text and JSON output, and that the
// fast path never loads LibTorch.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/support/subprocess.h"

namespace ptlint {
namespace {

const std::string kPtlint = std::string(PTLINT_BINARY_DIR) + "/ptlint";
const std::string kFixtures = PTLINT_FIXTURE_DIR;

ProcessOutput RunPtlint(std::vector<std::string> args) {
  args.insert(args.begin(), kPtlint);
  auto r = RunProcess(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : ProcessOutput{};
}

std::string Fixture(const std::string& rel) { return kFixtures + "/" + rel; }

TEST(Cli, VersionAndUsage) {
  auto v = RunPtlint({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, std::string("ptlint ") + PTLINT_VERSION + "\n");
  EXPECT_EQ(RunPtlint({"inspect"}).exit_code, 2);
  EXPECT_EQ(RunPtlint({"inspect", "--format", "yaml", Fixture("seed/model_with_custom.pt")}).exit_code, 2);
  auto missing = RunPtlint({"inspect", "/nonexistent/ckpt.pt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
  EXPECT_EQ(RunPtlint({"no-such-command-or-path"}).exit_code, 2);
}

TEST(Cli, InspectStateDictText) {
  auto r = RunPtlint({"inspect", Fixture("seed/model_with_custom.pt")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("format     torch-zip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layout     state-dict"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("torch._utils._rebuild_tensor_v2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("float32 [5, 10]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("problems   none"), std::string::npos) << r.out;
}

TEST(Cli, InspectJsonFollowsSchema) {
  auto r = RunPtlint({"inspect", "--format", "json", Fixture("seed/model_and_optim.pt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["schema"], "ptlint.inspect/1");
  ASSERT_EQ(doc["checkpoints"].size(), 1u);
  const auto& cp = doc["checkpoints"][0];
  EXPECT_EQ(cp["format"], "torch-zip");
  EXPECT_EQ(cp["layout"], "wrapper-dict");
  EXPECT_EQ(cp["state_dict"]["path"], "['model_state_dict']");
  EXPECT_FALSE(cp["tensors"].empty());
  ASSERT_FALSE(cp["optimizers"].empty());
  for (const char* key : {"records", "globals", "storages", "problems", "summary", "pickles"}) {
    EXPECT_TRUE(cp.contains(key)) << key;
  }
}

TEST(Cli, InspectReportsBrokenFilesWithFixes) {
  auto lfs = RunPtlint({"inspect", Fixture("broken/lfs_pointer.pt")});
  EXPECT_EQ(lfs.exit_code, 1) << lfs.out;
  EXPECT_NE(lfs.out.find("git lfs pull"), std::string::npos) << lfs.out;
  EXPECT_NE(lfs.out.find("invalid load key, 'v'"), std::string::npos) << lfs.out;
  auto truncated = RunPtlint({"inspect", Fixture("broken/truncated_middle.pt")});
  EXPECT_EQ(truncated.exit_code, 1) << truncated.out;
  EXPECT_NE(truncated.out.find("central directory"), std::string::npos) << truncated.out;
}

TEST(Cli, InspectWalksFoldersByContent) {
  // The folder holds shards and their index: the index is read, the shards not again.
  auto r = RunPtlint({"inspect", "--format", "json", Fixture("hf_sharded")});
  ASSERT_LE(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["checkpoints"].size(), 1u) << r.out.substr(0, 2000);
  EXPECT_EQ(doc["checkpoints"][0]["format"], "sharded-index");
}

TEST(Cli, RuleDocumentation) {
  auto r = RunPtlint({"rule", "PTL503"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("# PTL503 corrupt-or-not-a-checkpoint", 0), 0u) << r.out;
  EXPECT_EQ(RunPtlint({"rule", "PTL999"}).exit_code, 2);
}

TEST(Cli, CheckExitCodesAndSarif) {
  auto clean = RunPtlint({"check", Fixture("seed/model_with_custom.pt"), "--select", "PTL5"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  auto broken = RunPtlint({"check", Fixture("broken/lfs_pointer.pt"), "--output-format", "sarif"});
  EXPECT_EQ(broken.exit_code, 1);
  auto sarif = nlohmann::json::parse(broken.out);
  ASSERT_EQ(sarif["runs"][0]["results"].size(), 1u) << broken.out;
  EXPECT_EQ(sarif["runs"][0]["results"][0]["ruleId"], "PTL503");
  auto zero = RunPtlint({"check", Fixture("broken/lfs_pointer.pt"), "--exit-zero", "--output-format", "concise"});
  EXPECT_EQ(zero.exit_code, 0);
  EXPECT_EQ(RunPtlint({"check", Fixture("broken/lfs_pointer.pt"), "--output-format", "xml"}).exit_code, 2);
}

// The fast path never loads LibTorch (0.6 s and 160 MB a process): the ptlint
// binary must not even link it; LibTorch lives in ptlint-torch only.
TEST(Cli, FastPathDoesNotLinkLibTorch) {
  auto r = RunProcess({"/usr/bin/ldd", kPtlint});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.find("libtorch"), std::string::npos) << r->out;
  EXPECT_EQ(r->out.find("libc10"), std::string::npos) << r->out;
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// Hostile bytes end up in messages (strings from malicious pickles): every
// machine format must stay valid JSON and never abort on invalid UTF-8.
TEST(Cli, MachineFormatsSurviveTheHostileCorpus) {
  for (const char* format : {"json", "sarif"}) {
    auto r = RunPtlint({"check", "--select", "PTL5,PTL6", "--output-format", format, PTLINT_CORPUS_DIR});
    EXPECT_EQ(r.exit_code, 1) << format << ": " << r.err.substr(0, 2000);
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << format;
  }
  auto r = RunPtlint({"inspect", "--format", "json", PTLINT_CORPUS_DIR});
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(0, 2000);
  EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// --deep goes through the LibTorch oracle process (ptlint-torch), never
// through LibTorch in ptlint itself.
TEST(Cli, InspectDeepUsesTheOracleProcess) {
  std::string oracle = std::string(PTLINT_BINARY_DIR) + "/ptlint-torch";
  if (!std::filesystem::exists(oracle)) GTEST_SKIP() << "built without LibTorch (PTLINT_WITH_TORCH=OFF)";
  auto r = RunPtlint({"inspect", "--deep", "--format", "json", Fixture("hf/pytorch_model.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto& deep = doc["checkpoints"][0]["deep"];
  ASSERT_TRUE(deep.is_object()) << r.out.substr(0, 2000);
  EXPECT_TRUE(deep["cpp_loadable"].get<bool>()) << deep.dump();
  ASSERT_TRUE(deep["tensors"].is_array());
  EXPECT_FALSE(deep["tensors"].empty());
  auto text = RunPtlint({"inspect", "--deep", Fixture("hf/pytorch_model.bin")});
  EXPECT_NE(text.out.find("deep (LibTorch)"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// `exclude` keeps files out of both discoveries and `per-file-ignores` drops
// findings by path, both relative to the config's folder (ruff semantics);
// a path named on the command line is still checked unless --force-exclude.
TEST(Cli, ConfigExcludeAndPerFileIgnores) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(PTLINT_BINARY_DIR) / "cli_exclude_project";
  fs::remove_all(root);
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << text;
  };
  const std::string lfs =
      "version https://git-lfs.github.com/spec/v1\n"
      "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
  const std::string saves_module =
      "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
      "        self.fc = torch.nn.Linear(2, 2)\n\n\nmodel = Net()\ntorch.save(model, \"out.pt\")\n";
  write("ptlint.toml",
        "exclude = [\"src/legacy\", \"ckpt/archive\", \"scratch_*.pt\"]\n"
        "[per-file-ignores]\n\"tools/*\" = [\"PTL7\"]\n\"ckpt/old.pt\" = [\"PTL503\"]\n");
  write("src/train.py", saves_module);
  write("src/legacy/train_v1.py", saves_module);
  write("tools/export.py", saves_module);
  write("ckpt/model.pt", lfs);
  write("ckpt/old.pt", lfs);
  write("ckpt/scratch_1.pt", lfs);
  write("ckpt/archive/v0.pt", lfs);

  auto check = [&](std::vector<std::string> args) {
    std::string cmd = "cd '" + root.string() + "' && exec '" + kPtlint + "' check";
    for (const std::string& a : args) cmd += " '" + a + "'";
    auto r = RunProcess({"/bin/sh", "-c", cmd + " --output-format json"});
    EXPECT_TRUE(r.ok());
    std::vector<std::string> where;
    auto doc = nlohmann::json::parse(r.ok() ? r->out : "", nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << (r.ok() ? r->out + r->err : "");
    if (doc.is_discarded()) return where;
    for (const auto& d : doc["diagnostics"]) {
      where.push_back(d["code"].get<std::string>() + " " + d["location"]["path"].get<std::string>());
    }
    std::sort(where.begin(), where.end());
    return where;
  };
  EXPECT_EQ(check({"."}),
            (std::vector<std::string>{"PTL503 ckpt/model.pt", "PTL701 src/train.py", "PTL702 src/train.py"}));
  // Named explicitly: checked (as in ruff) ...
  EXPECT_EQ(check({"src/legacy", "ckpt/scratch_1.pt"}),
            (std::vector<std::string>{"PTL503 ckpt/scratch_1.pt", "PTL701 src/legacy/train_v1.py",
                                      "PTL702 src/legacy/train_v1.py"}));
  // ... unless --force-exclude.
  EXPECT_TRUE(check({"src/legacy", "ckpt/scratch_1.pt", "--force-exclude"}).empty());
  // per-file-ignores still apply to explicit paths.
  EXPECT_TRUE(check({"tools", "ckpt/old.pt"}).empty());
  // Paths given from another directory are matched relative to the config.
  auto r = RunProcess({kPtlint, "check", root.string(), "--output-format", "concise"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.find("legacy"), std::string::npos) << r->out;
  EXPECT_EQ(r->out.find("archive"), std::string::npos) << r->out;
  EXPECT_EQ(r->out.find("tools"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("model.pt"), std::string::npos) << r->out;
}

}  // namespace
}  // namespace ptlint
