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

// --explain says, per checkpoint, what it was compared with and why a silent
// check is silent; without it the text report has no such section.
TEST(Cli, ExplainListsEachCheckpointsBinding) {
  const std::string ckpt = Fixture("seed/model_with_custom.pt");
  auto plain = RunPtlint({"check", ckpt, "--select", "PTL5"});
  EXPECT_EQ(plain.out.find("Bindings ("), std::string::npos) << plain.out;
  for (const char* format : {"full", "concise"}) {
    auto explained = RunPtlint({"check", ckpt, "--select", "PTL5", "--explain", "--output-format", format});
    EXPECT_EQ(explained.exit_code, 0) << explained.err;
    EXPECT_NE(explained.out.find("Bindings (1 checkpoint):"), std::string::npos) << explained.out;
    EXPECT_NE(explained.out.find("not bound to a class; drift is not reported\n    why: no Python source among "
                                 "the paths"),
              std::string::npos)
        << explained.out;
  }
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

namespace ptlint {
namespace {

namespace fs = std::filesystem;

// Runs ptlint in `dir` through the shell (for configs found from the cwd).
ProcessOutput RunIn(const fs::path& dir, const std::string& args) {
  auto r = RunProcess({"/bin/sh", "-c", "cd '" + dir.string() + "' && exec '" + kPtlint + "' " + args});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : ProcessOutput{};
}

fs::path FreshProject(const std::string& name) {
  fs::path root = fs::path(PTLINT_BINARY_DIR) / name;
  fs::remove_all(root);
  fs::create_directories(root);
  return root;
}

const char kSavesModule[] =
    "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc = torch.nn.Linear(2, 2)\n\n\nmodel = Net()\ntorch.save(model, \"out.pt\")\n";

// A typo in --select used to select nothing and print "All checks passed"
// with exit 0: now it is a usage error naming the closest real code (ruff).
TEST(Cli, UnknownRuleCodesAreUsageErrors) {
  fs::path root = FreshProject("cli_select_typo");
  std::ofstream(root / "train.py") << kSavesModule;
  auto typo = RunIn(root, "check . --select PTL999");
  EXPECT_EQ(typo.exit_code, 2) << typo.out;
  EXPECT_NE(typo.err.find("`PTL999`"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("closest: `PTL702`"), std::string::npos) << typo.err;
  EXPECT_EQ(typo.out.find("All checks passed"), std::string::npos) << typo.out;
  auto ignore = RunIn(root, "check . --ignore=PLT7");
  EXPECT_EQ(ignore.exit_code, 2);
  EXPECT_NE(ignore.err.find("closest: `PTL7`"), std::string::npos) << ignore.err;
  // Good selectors still work, in any order with paths, repeated or joined.
  auto ok = RunIn(root, "check --select PTL7 . --select PTL6,PTL5 --output-format concise");
  EXPECT_EQ(ok.exit_code, 1) << ok.err;
  EXPECT_NE(ok.out.find("PTL701"), std::string::npos) << ok.out;
  EXPECT_EQ(RunIn(root, "check . --select ALL --ignore PTL7").exit_code, 0);

  // The same typo in the config: exit 2, naming the file, the key and the closest code.
  std::ofstream(root / "pyproject.toml") << "[tool.ptlint]\nselect = [\"PTL7\", \"PTL2O1\"]\n";
  auto config = RunIn(root, "check .");
  EXPECT_EQ(config.exit_code, 2) << config.out;
  EXPECT_NE(config.err.find("pyproject.toml: [tool.ptlint] select"), std::string::npos) << config.err;
  EXPECT_NE(config.err.find("closest: `PTL201`"), std::string::npos) << config.err;
  std::ofstream(root / "pyproject.toml") << "[tool.ptlint]\nignore = [\"PTL8\"]\n";
  EXPECT_EQ(RunIn(root, "check .").exit_code, 2);
  std::ofstream(root / "pyproject.toml") << "[tool.ptlint.per-file-ignores]\n\"train.py\" = [\"PTL77\"]\n";
  auto per_file = RunIn(root, "check .");
  EXPECT_EQ(per_file.exit_code, 2);
  EXPECT_NE(per_file.err.find("per-file-ignores"), std::string::npos) << per_file.err;
  // The language server refuses it before it starts, too.
  auto lsp = RunIn(root, "lsp --select PTL999 </dev/null");
  EXPECT_EQ(lsp.exit_code, 2);
  EXPECT_NE(lsp.err.find("closest: `PTL702`"), std::string::npos) << lsp.err;
}

// `--format` and `--output-format` on every command (ruff spells it
// --output-format; inspect and classes used to take only --format).
TEST(Cli, BothFormatSpellingsOnEveryCommand) {
  fs::path root = FreshProject("cli_format_spellings");
  std::ofstream(root / "train.py") << kSavesModule;
  for (const char* flag : {"--format", "--output-format"}) {
    for (const std::string& cmd : std::vector<std::string>{"check .", "classes .",
                                                           "inspect " + Fixture("seed/model_with_custom.pt")}) {
      const std::string fmt = "json";
      auto r = RunIn(root, cmd + " " + flag + " " + fmt);
      EXPECT_LE(r.exit_code, 1) << cmd << " " << flag << ": " << r.err;
      EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded()) << cmd << " " << flag;
      auto eq = RunIn(root, cmd + " " + flag + "=" + fmt);
      EXPECT_EQ(eq.out, r.out) << cmd << " " << flag << "=";
    }
  }
}

// Typos and malformed values are usage errors with a message (exit 2), not
// silence, and not atoi's 0.
TEST(Cli, MalformedOptionsSayWhatIsWrong) {
  fs::path root = FreshProject("cli_malformed_options");
  std::ofstream(root / "train.py") << kSavesModule;
  auto typo = RunIn(root, "check . --output-formats json");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("--output-formats"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("did you mean --output-format?"), std::string::npos) << typo.err;
  auto bad_format = RunIn(root, "check . --output-format xml");
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_NE(bad_format.err.find("xml"), std::string::npos) << bad_format.err;
  EXPECT_EQ(RunIn(root, "inspect --format yaml " + Fixture("seed/model_with_custom.pt")).exit_code, 2);
  EXPECT_EQ(RunIn(root, "classes . --format yaml").exit_code, 2);
  for (const char* poll : {"--poll-interval abc", "--poll-interval=12ms", "--poll-interval -1", "--poll-interval"}) {
    auto r = RunIn(root, std::string("lsp ") + poll + " </dev/null");
    EXPECT_EQ(r.exit_code, 2) << poll;
    EXPECT_NE(r.err.find("--poll-interval"), std::string::npos) << poll << ": " << r.err;
  }
  auto level = RunIn(root, "lsp --log-level loud </dev/null");
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.err.find("loud"), std::string::npos) << level.err;
  auto bind = RunIn(root, "check . --bind ckpt.pt");
  EXPECT_EQ(bind.exit_code, 2);
  EXPECT_NE(bind.err.find("CKPT=pkg.module.Class"), std::string::npos) << bind.err;
  // A well-formed lsp command line gets to the server (EOF without shutdown: 1).
  EXPECT_EQ(RunIn(root, "lsp --stdio --poll-interval 250 --log-level info </dev/null").exit_code, 1);
  auto help = RunIn(root, "check --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--output-format,--format"), std::string::npos) << help.out;
}

// SARIF declares columnKind utf16CodeUnits: a column after non-ASCII text
// (2-byte é, 4-byte emoji = 2 UTF-16 units) is counted in UTF-16 code units,
// not bytes; JSON keeps byte columns. Checked against Python's own UTF-16.
TEST(Cli, SarifColumnsAreUtf16CodeUnits) {
  fs::path root = FreshProject("cli_sarif_utf16");
  std::string source = kSavesModule;
  source.replace(source.find("torch.save(model"), 0, "label = \"h\xc3\xa9llo \xf0\x9f\x98\x80\"; ");
  std::ofstream(root / "train.py", std::ios::binary) << source;
  auto json = RunIn(root, "check . --select PTL701 --output-format json");
  auto sarif = RunIn(root, "check . --select PTL701 --output-format sarif");
  ASSERT_EQ(json.exit_code, 1) << json.err;
  ASSERT_EQ(sarif.exit_code, 1) << sarif.err;
  auto j = nlohmann::json::parse(json.out);
  auto s = nlohmann::json::parse(sarif.out);
  ASSERT_EQ(j["diagnostics"].size(), 1u);
  EXPECT_EQ(s["runs"][0]["columnKind"], "utf16CodeUnits");
  int line = j["diagnostics"][0]["location"]["line"];
  int byte_col = j["diagnostics"][0]["location"]["column"];
  int byte_end = j["diagnostics"][0]["location"]["end_column"];
  const auto& region = s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
  const char* check = R"PY(
import sys
line = open(sys.argv[1], encoding="utf-8").read().split("\n")[int(sys.argv[2]) - 1]
def u16(byte_col):
    return len(line.encode("utf-8")[:byte_col - 1].decode("utf-8").encode("utf-16-le")) // 2 + 1
start, end = u16(int(sys.argv[3])), u16(int(sys.argv[4]))
units = line.encode("utf-16-le")
assert units[2 * (start - 1):].decode("utf-16-le").startswith("torch.save("), line
print(start, end)
)PY";
  auto py = RunProcess({PTLINT_PYTHON, "-c", check, (root / "train.py").string(), std::to_string(line),
                        std::to_string(byte_col), std::to_string(byte_end)});
  ASSERT_TRUE(py.ok());
  ASSERT_EQ(py->exit_code, 0) << py->err;
  int want_start = 0, want_end = 0;
  ASSERT_EQ(std::sscanf(py->out.c_str(), "%d %d", &want_start, &want_end), 2) << py->out;
  EXPECT_LT(want_start, byte_col);  // the test means something: bytes and units differ here
  EXPECT_EQ(region["startColumn"], want_start) << region.dump();
  EXPECT_EQ(region["endColumn"], want_end) << region.dump();
  // informationUri is real: the README the docs base names exists (or a published https URL).
  std::string info = s["runs"][0]["tool"]["driver"]["informationUri"];
  EXPECT_EQ(info.find("invalid"), std::string::npos) << info;
  if (info.rfind("file://", 0) == 0) EXPECT_TRUE(fs::exists(info.substr(7))) << info;
}

}  // namespace
}  // namespace ptlint
