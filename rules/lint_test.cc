// The lint pipeline's config handling: `exclude` (ruff semantics: names match
// any path component, paths are relative to the config root) kept out of
// checkpoint and Python discovery, and `per-file-ignores` applied to findings.
#include "rules/lint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint_discovery.h"
#include "analyzer/analysis/project_analysis.h"
#include "analyzer/config/project_config.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

class TempProject : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ptlint_lint_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  std::string P(const std::string& rel) const { return (root_ / rel).string(); }
  fs::path root_;
};

// A file ptlint takes for a checkpoint: a git-lfs pointer (PTL503), by content.
const char kLfsPointer[] =
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

TEST(PathMatchesPattern, NamesMatchAnyComponentPathsAreAnchoredAtTheRoot) {
  const std::string root = "/proj";
  EXPECT_TRUE(PathMatchesPattern("/proj/src/legacy/a.py", root, "legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/a/b/legacy", root, "legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/src/old_net.py", root, "old_*.py"));
  EXPECT_FALSE(PathMatchesPattern("/proj/src/legacy_net.py", root, "legacy"));

  EXPECT_TRUE(PathMatchesPattern("/proj/src/legacy/a.py", root, "src/legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/src/legacy/a.py", root, "src/legacy/"));
  EXPECT_TRUE(PathMatchesPattern("/proj/src/legacy/a.py", root, "./src/legacy"));
  EXPECT_FALSE(PathMatchesPattern("/proj/lib/src/legacy/a.py", root, "src/legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/lib/src/legacy/a.py", root, "**/legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/legacy/a.py", root, "**/legacy"));
  EXPECT_TRUE(PathMatchesPattern("/proj/tests/sub/t.py", root, "tests/*.py"));  // `*` crosses `/`
  EXPECT_TRUE(PathMatchesPattern("/proj/ckpt/old.pt", root, "ckpt/*.pt"));
  EXPECT_FALSE(PathMatchesPattern("/elsewhere/ckpt/old.pt", root, "ckpt/*.pt"));
  EXPECT_TRUE(PathMatchesPattern("/elsewhere/ckpt/old.pt", root, "/elsewhere/ckpt"));

  // While walking, only the entry itself counts (its folders were checked on the way).
  EXPECT_FALSE(PathMatchesPattern("/proj/src/legacy/a.py", root, "src/legacy", /*entry_only=*/true));
  EXPECT_FALSE(PathMatchesPattern("/proj/src/legacy/a.py", root, "legacy", /*entry_only=*/true));
  EXPECT_TRUE(PathMatchesPattern("/proj/src/legacy", root, "legacy", /*entry_only=*/true));
}

TEST(PathRelativeTo, RelativeAndOutside) {
  EXPECT_EQ(PathRelativeTo("/proj/src/a.py", "/proj"), "src/a.py");
  EXPECT_EQ(PathRelativeTo("/proj", "/proj/"), ".");
  EXPECT_EQ(PathRelativeTo("/other/a.py", "/proj"), "../other/a.py");
}

TEST(PythonDiscoveryExcludes, ReanchorsPatternsAtEachRoot) {
  PathExcludes e{"/nonexistent-proj", {"legacy", "src/old", "src/pkg/gen/*.py", "**/vendored", "/abs/x", "other/y"}};
  std::vector<std::string> roots = {"/nonexistent-proj/src"};
  // Roots that are not directories are skipped: use the config root itself.
  std::vector<std::string> p = PythonDiscoveryExcludes(e, roots);
  EXPECT_NE(std::find(p.begin(), p.end(), "legacy"), p.end());
  EXPECT_NE(std::find(p.begin(), p.end(), "*/vendored"), p.end());
  EXPECT_EQ(std::find(p.begin(), p.end(), "/abs/x"), p.end());
}

TEST_F(TempProject, PythonDiscoveryExcludesForARealRoot) {
  Write("src/old/a.py", "x = 1\n");
  Write("src/pkg/gen/b.py", "x = 1\n");
  PathExcludes e{root_.string(), {"src/old", "src/pkg/gen/*.py", "other/y", "src"}};
  std::vector<std::string> p = PythonDiscoveryExcludes(e, {P("src")});
  EXPECT_NE(std::find(p.begin(), p.end(), "old/*"), p.end());            // a folder: what is under it
  EXPECT_EQ(std::find(p.begin(), p.end(), "old"), p.end());              // not every `old` deeper down
  EXPECT_NE(std::find(p.begin(), p.end(), "pkg/gen/*.py"), p.end());
  EXPECT_EQ(std::find(p.begin(), p.end(), "other/y"), p.end());          // another root's
  EXPECT_NE(std::find(p.begin(), p.end(), "src"), p.end());              // a name stays a name
  // The config root itself as the discovery root: patterns unchanged.
  std::vector<std::string> q = PythonDiscoveryExcludes(e, {root_.string()});
  EXPECT_NE(std::find(q.begin(), q.end(), "src/old"), q.end());
}

TEST_F(TempProject, DiscoverPathsSkipsExcludedFilesAndFolders) {
  Write("src/net.py", "import torch\n");
  Write("src/legacy/old.py", "import torch\n");
  Write("src/gen_net.py", "import torch\n");
  Write("ckpt/model.pt", kLfsPointer);
  Write("ckpt/archive/old.pt", kLfsPointer);
  Write("ckpt/scratch.pt", kLfsPointer);
  PathExcludes e{root_.string(), {"legacy", "gen_*.py", "ckpt/archive", "ckpt/scratch.pt"}};
  DiscoveredPaths found = DiscoverPaths({root_.string()}, e);
  ASSERT_EQ(found.python_files.size(), 1u);
  EXPECT_EQ(found.python_files[0], P("src/net.py"));
  ASSERT_EQ(found.checkpoints.size(), 1u);
  EXPECT_EQ(found.checkpoints[0], P("ckpt/model.pt"));

  // Named on the command line: read anyway (ruff), unless forced.
  found = DiscoverPaths({P("ckpt/scratch.pt"), P("src/legacy")}, e);
  EXPECT_EQ(found.checkpoints.size(), 1u);
  EXPECT_EQ(found.python_files.size(), 1u);
  e.force = true;
  found = DiscoverPaths({P("ckpt/scratch.pt"), P("src/legacy")}, e);
  EXPECT_TRUE(found.checkpoints.empty());
  EXPECT_TRUE(found.python_files.empty());
  EXPECT_TRUE(found.errors.empty());

  // The default (no excludes) still finds everything; the old signature works.
  EXPECT_EQ(DiscoverPaths({root_.string()}).checkpoints.size(), 3u);
}

TEST_F(TempProject, AnalyzeProjectKeepsExcludedSourceOutOfTheIndex) {
  Write("src/models/net.py",
        "import torch\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.nn.Linear(2, 2)\n");
  Write("src/models/legacy/old.py",
        "import torch\n\nclass OldNet(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = torch.nn.Linear(2, 2)\n");
  Write("src/models/generated.py", "import torch\n\nclass Gen(torch.nn.Module):\n    pass\n");
  AnalysisOptions options;
  options.exclude = {"src/models/legacy", "generated.py"};
  options.exclude_root = root_.string();
  auto project = AnalyzeProject({P("src")}, options);
  EXPECT_EQ(project->python_files.size(), 1u);
  EXPECT_NE(project->index.FindClass("models.net.Net"), nullptr);
  EXPECT_EQ(project->index.FindClass("models.legacy.old.OldNet"), nullptr);
  EXPECT_EQ(project->index.FindClass("models.generated.Gen"), nullptr);

  options.exclude.clear();
  auto all = AnalyzeProject({P("src")}, options);
  EXPECT_NE(all->index.FindClass("models.legacy.old.OldNet"), nullptr);
}

TEST(PerFileIgnored, GlobsCodesPrefixesAndNegation) {
  LintSettings s;
  s.root = "/proj";
  s.per_file_ignores = {{"tests/*", {"PTL7"}}, {"ckpt/legacy.pt", {"PTL603", "PTL101"}},
                        {"__init__.py", {"ALL"}}, {"!src/*", {"PTL201"}}};
  auto d = [](const std::string& code, const std::string& path) {
    Diagnostic x;
    x.code = code;
    x.location.path = path;
    return x;
  };
  EXPECT_TRUE(PerFileIgnored(d("PTL701", "/proj/tests/t.py"), s));
  EXPECT_FALSE(PerFileIgnored(d("PTL603", "/proj/tests/t.py"), s));
  EXPECT_TRUE(PerFileIgnored(d("PTL603", "/proj/ckpt/legacy.pt"), s));
  EXPECT_FALSE(PerFileIgnored(d("PTL602", "/proj/ckpt/legacy.pt"), s));
  EXPECT_TRUE(PerFileIgnored(d("PTL203", "/proj/src/pkg/__init__.py"), s));
  EXPECT_TRUE(PerFileIgnored(d("PTL201", "/proj/lib/x.py"), s));   // not under src/
  EXPECT_FALSE(PerFileIgnored(d("PTL201", "/proj/src/x.py"), s));
  LintSettings none;
  EXPECT_FALSE(PerFileIgnored(d("PTL201", "/proj/src/x.py"), none));
}

TEST_F(TempProject, ConfigExcludeAndForceExcludeReachTheAnalysis) {
  Write("ptlint.toml", "exclude = [\"legacy\"]\n[per-file-ignores]\n\"tests/*\" = [\"PTL7\"]\n");
  auto config = ReadProjectConfigFile(P("ptlint.toml"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  LintOverrides flags;
  std::vector<std::string> args = {"--force-exclude"};
  size_t i = 0;
  std::string error;
  ASSERT_TRUE(ParseLintFlag(args, i, flags, error));
  EXPECT_TRUE(error.empty());
  auto s = ResolveLintSettings(*config, flags, ".");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->analysis.exclude, std::vector<std::string>{"legacy"});
  EXPECT_EQ(fs::path(s->analysis.exclude_root), root_);
  EXPECT_TRUE(s->analysis.force_exclude);
  EXPECT_EQ(s->per_file_ignores.at("tests/*"), std::vector<std::string>{"PTL7"});
}

TEST_F(TempProject, PinnedRequirementsOfTorchAndNumpy) {
  Write("requirements-dev.txt", "pytest\n");
  Write("requirements.txt", "# numpy==9 in a comment is not a pin\ntorchaudio==0.13.1\n"
                            "torch>=1.13,<2  # the trainer's torch\nnumpy<2\n");
  auto torch = DetectPinnedRequirement(root_.string(), "torch");
  ASSERT_TRUE(torch.has_value());
  EXPECT_EQ(torch->op, ">=");
  EXPECT_EQ(torch->version, "1.13");
  auto numpy = DetectPinnedRequirement(root_.string(), "numpy");
  ASSERT_TRUE(numpy.has_value());
  EXPECT_EQ(numpy->op, "<");
  EXPECT_EQ(numpy->version, "2");
  EXPECT_FALSE(DetectPinnedRequirement(root_.string(), "scipy").has_value());

  // pyproject.toml dependencies, quoted; a longer package name is not a match.
  fs::remove(root_ / "requirements.txt");
  Write("pyproject.toml", "[project]\ndependencies = [\"numpy-stubs>=1\", \"numpy>=2.0.1\"]\n");
  numpy = DetectPinnedRequirement(root_.string(), "numpy");
  ASSERT_TRUE(numpy.has_value());
  EXPECT_EQ(numpy->op, ">=");
  EXPECT_EQ(numpy->version, "2.0.1");

  // Without a config, `ptlint check .` roots the project at the working
  // directory, so these pins reach the analysis options.
  auto settings = ResolveLintSettings(ProjectConfig{}, LintOverrides{}, root_.string());
  ASSERT_TRUE(settings.ok());
  ASSERT_TRUE(settings->analysis.numpy_pin.has_value());
  EXPECT_EQ(settings->analysis.numpy_pin->version, "2.0.1");
}

}  // namespace
}  // namespace ptlint

namespace ptlint {
namespace {

// One file ptlint failed on (an exception while reading or analysing it)
// is reported on that file as PTL604 whatever is selected, and never
// suppressed; the other files are checked as usual; `check` exits 2.
TEST_F(TempProject, InternalErrorOfOneFileIsPTL604AndOthersStillChecked) {
  Write("ckpt/broken.pt", kLfsPointer);
  Write("ckpt/other.pt", kLfsPointer);
  LintSettings settings;
  settings.select = {"PTL503"};
  std::unique_ptr<ProjectAnalysis> project = AnalyzeProject({P("ckpt")}, settings.analysis);
  ASSERT_EQ(project->checkpoints.size(), 2u);
  project->checkpoints[0].internal_error = "analysing it failed (std::bad_alloc)";
  std::vector<Diagnostic> found = LintProject(*project, settings, nullptr);
  size_t internal = 0, lfs = 0;
  for (const Diagnostic& d : found) {
    if (IsInternalError(d)) {
      ++internal;
      EXPECT_EQ(d.code, "PTL604");
      EXPECT_NE(d.message.find("std::bad_alloc"), std::string::npos) << d.message;
      EXPECT_EQ(d.location.path, project->checkpoints[0].display_path);
    }
    if (d.code == "PTL503") ++lfs;
  }
  EXPECT_EQ(internal, 1u);
  EXPECT_EQ(lfs, 2u);  // both files still checked
  EXPECT_TRUE(HasInternalErrors(found));

  project->checkpoints[0].internal_error.clear();
  EXPECT_FALSE(HasInternalErrors(LintProject(*project, settings, nullptr)));
}

// Links are followed by the checkpoint walk: the Hugging Face cache's
// snapshot link is found, once, under its own name (not the blob's hash).
TEST_F(TempProject, DiscoverPathsFollowsTheHuggingFaceCacheLinks) {
  Write("hub/models--a--b/blobs/0123abcd", kLfsPointer);
  fs::create_directories(root_ / "hub/models--a--b/snapshots/rev1");
  fs::create_symlink("../../blobs/0123abcd", root_ / "hub/models--a--b/snapshots/rev1/pytorch_model.bin");
  fs::create_directory_symlink("..", root_ / "hub/models--a--b/snapshots/rev1/loop");
  DiscoveredPaths snapshots = DiscoverPaths({P("hub/models--a--b/snapshots")});
  ASSERT_EQ(snapshots.checkpoints.size(), 1u);
  EXPECT_EQ(snapshots.checkpoints[0], P("hub/models--a--b/snapshots") + "/rev1/pytorch_model.bin");
  DiscoveredPaths whole = DiscoverPaths({P("hub")});
  ASSERT_EQ(whole.checkpoints.size(), 1u);
  EXPECT_EQ(whole.checkpoints[0], P("hub") + "/models--a--b/snapshots/rev1/pytorch_model.bin");
}

}  // namespace
}  // namespace ptlint
