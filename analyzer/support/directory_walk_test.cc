#include "analyzer/support/directory_walk.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

namespace fs = std::filesystem;

class DirectoryWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ptlint_walk_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Touch(const fs::path& rel) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << "x";
  }
  // Relative paths visited, sorted, with a type letter: f, d, o, !
  std::vector<std::string> Walk(const WalkOptions& options = {}, std::vector<WalkProblem>* problems = nullptr) {
    std::vector<std::string> seen;
    WalkDirectory(root_.string(), options,
                  [&](const WalkEntry& e) {
                    const char* t = e.type == WalkEntry::Type::kFile        ? "f "
                                    : e.type == WalkEntry::Type::kDirectory ? "d "
                                    : e.type == WalkEntry::Type::kOther     ? "o "
                                                                            : "! ";
                    seen.push_back(t + e.relative);
                    return true;
                  },
                  problems);
    std::sort(seen.begin(), seen.end());
    return seen;
  }
  fs::path root_;
};

// The Hugging Face cache layout: the snapshot's file is a relative link to
// a blob. Both names are visited; the link is a file, not skipped.
TEST_F(DirectoryWalkTest, FollowsFileLinksOfTheHuggingFaceCache) {
  Touch("blobs/5f3a");
  fs::create_directories(root_ / "snapshots/abc");
  fs::create_symlink("../../blobs/5f3a", root_ / "snapshots/abc/pytorch_model.bin");
  std::vector<std::string> seen = Walk();
  EXPECT_EQ(seen, (std::vector<std::string>{"d blobs", "d snapshots", "d snapshots/abc", "f blobs/5f3a",
                                            "f snapshots/abc/pytorch_model.bin"}));
}

// A link back to an ancestor is not entered again: the walk ends, and each
// file is reached once.
TEST_F(DirectoryWalkTest, LinkLoopsEnd) {
  Touch("a/b/model.pt");
  fs::create_directory_symlink("..", root_ / "a/b/up");
  fs::create_directory_symlink(".", root_ / "a/self");
  fs::create_directory_symlink(root_, root_ / "a/b/root");
  std::vector<std::string> seen = Walk();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "f a/b/model.pt"), 1);
  EXPECT_EQ(seen.size(), 3u) << ::testing::PrintToString(seen);  // a, a/b, a/b/model.pt
}

// A folder reached both directly and through a link (`latest -> run_2`) is
// walked once, under its own name, whatever the names' order.
TEST_F(DirectoryWalkTest, RealFolderWinsOverLinkToIt) {
  Touch("run_2/model.pt");
  fs::create_directory_symlink("run_2", root_ / "a_latest");
  std::vector<std::string> seen = Walk();
  EXPECT_EQ(seen, (std::vector<std::string>{"d run_2", "f run_2/model.pt"}));
}

// A linked folder outside the root is walked (experiment folders link to
// shared storage), and what is inside it is marked as reached through a link.
TEST_F(DirectoryWalkTest, FollowsFolderLinksOutOfTheRoot) {
  fs::path outside = root_.string() + "_outside";
  fs::remove_all(outside);
  fs::create_directories(outside / "ckpt");
  std::ofstream(outside / "ckpt/model.pt") << "x";
  fs::create_directories(root_ / "runs");
  fs::create_directory_symlink(outside, root_ / "runs/shared");
  bool via = false;
  WalkDirectory(root_.string(), {}, [&](const WalkEntry& e) {
    if (e.relative == "runs/shared/ckpt/model.pt") via = e.via_symlink && !e.is_symlink;
    return true;
  }, nullptr);
  fs::remove_all(outside);
  EXPECT_TRUE(via);
}

TEST_F(DirectoryWalkTest, DanglingLinksAndFifosAreReportedNotOpened) {
  fs::create_symlink("missing.pt", root_ / "gone.pt");
  ASSERT_EQ(::mkfifo((root_ / "pipe.pt").c_str(), 0600), 0);
  std::vector<std::string> seen = Walk();
  EXPECT_EQ(seen, (std::vector<std::string>{"! gone.pt", "o pipe.pt"}));
}

TEST_F(DirectoryWalkTest, DepthAndEntryCapsAreReported) {
  Touch("1/2/3/4/deep.pt");
  std::vector<WalkProblem> problems;
  WalkOptions shallow;
  shallow.max_depth = 2;
  std::vector<std::string> seen = Walk(shallow, &problems);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "f 1/2/3/4/deep.pt"), 0);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("deeper than 2 folders"), std::string::npos);

  problems.clear();
  WalkOptions few;
  few.max_entries = 2;
  Walk(few, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("more than 2 entries"), std::string::npos);
}

// A walk that must not follow links (none of ptlint's do today) sees none.
TEST_F(DirectoryWalkTest, NoFollowSkipsLinks) {
  Touch("real.pt");
  fs::create_symlink("real.pt", root_ / "link.pt");
  WalkOptions options;
  options.follow_symlinks = false;
  EXPECT_EQ(Walk(options), (std::vector<std::string>{"f real.pt"}));
}

}  // namespace
}  // namespace ptlint
