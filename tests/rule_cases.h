// The rule cases under tests/rules/<CODE>/<case>/, shared by rule_cases_test
// (one snapshot per case, expectations in the fixture), output_formats_test
// (every output format once, on a shared set of cases) and sarif_schema_test
// (live SARIF of every prepared case through the validators).
//
//   project/...          the fixture project (source, config), with
//                        `# expect: CODE <substring of the message>` markers
//   make_checkpoints.py  run with Debian's torch in a copy of project/ (the
//                        cwd) to make its checkpoints
//   expect.txt           expectations for findings on a checkpoint (line 0):
//                        `PATH: CODE <substring of the message>` per line
//   snapshot.txt         golden `ptlint check . --select <CODE>` (full output)
//
// A case is prepared once into ${PTLINT_BINARY_DIR}/rule_cases/<CODE>/<case>
// and reused while its inputs (project/, make_checkpoints.py, the shared
// tests/lightning_checkpoint.py, the interpreter) are unchanged: ctest runs
// each test in its own process, in parallel, so preparing takes a per-case
// lock and leaves a stamp of the inputs it was made from.
#ifndef PTLINT_TESTS_RULE_CASES_H_
#define PTLINT_TESTS_RULE_CASES_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/support/subprocess.h"

namespace ptlint::rule_cases {

namespace fs = std::filesystem;

struct RuleCase {
  std::string code;
  std::string name;
  fs::path dir;
  std::string id() const { return code + "/" + name; }
  bool negative() const { return name.rfind("negative", 0) == 0; }
};

// ctest names the tests after GetParam(); printing the case (not its bytes)
// keeps the names stable between discovery and run.
inline void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.id(); }

inline fs::path RulesRoot() { return fs::path(PTLINT_SOURCE_DIR) / "tests" / "rules"; }
inline fs::path PreparedRoot() { return fs::path(PTLINT_BINARY_DIR) / "rule_cases"; }

inline std::vector<RuleCase> DiscoverCases() {
  std::vector<RuleCase> cases;
  std::error_code ec;
  for (const auto& code_dir : fs::directory_iterator(RulesRoot(), ec)) {
    if (!code_dir.is_directory()) continue;
    for (const auto& case_dir : fs::directory_iterator(code_dir.path())) {
      if (case_dir.is_directory() && fs::exists(case_dir.path() / "project")) {
        cases.push_back({code_dir.path().filename().string(), case_dir.path().filename().string(),
                         case_dir.path()});
      }
    }
  }
  std::sort(cases.begin(), cases.end(), [](const RuleCase& a, const RuleCase& b) { return a.id() < b.id(); });
  return cases;
}

inline RuleCase FindCase(const std::string& id) {
  auto slash = id.find('/');
  return {id.substr(0, slash), id.substr(slash + 1), RulesRoot() / id};
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What the prepared copy is made from, hashed (a cache key, not a checksum).
inline std::string InputsStamp(const RuleCase& c) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(c.dir / "project")) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  files.push_back(c.dir / "make_checkpoints.py");
  files.push_back(fs::path(PTLINT_SOURCE_DIR) / "tests" / "lightning_checkpoint.py");
  std::string all = PTLINT_PYTHON;
  for (const fs::path& f : files) {
    all += '\n';
    all += fs::relative(f, c.dir).string();
    all += '\n';
    all += fs::exists(f) ? ReadFile(f) : std::string("-");
  }
  return std::to_string(std::hash<std::string>{}(all)) + " " + std::to_string(all.size()) + "\n";
}

// The working copy of a case: project/ copied, checkpoints made in it.
inline fs::path Prepare(const RuleCase& c) {
  fs::path work = PreparedRoot() / c.code / c.name;
  fs::create_directories(work.parent_path());
  int lock = ::open((work.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);  // closing releases the flock
    }
  } unlock{lock};
  fs::path stamp_file = work.string() + ".stamp";
  std::string stamp = InputsStamp(c);
  if (fs::exists(work) && fs::exists(stamp_file) && ReadFile(stamp_file) == stamp) return work;
  fs::remove(stamp_file);
  fs::remove_all(work);
  fs::create_directories(work);
  fs::copy(c.dir / "project", work, fs::copy_options::recursive);
  if (fs::exists(c.dir / "make_checkpoints.py")) {
    std::string cmd = "cd '" + work.string() + "' && " + PTLINT_PYTHON + " '" +
                      (c.dir / "make_checkpoints.py").string() + "' > make_checkpoints.log 2>&1";
    int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << "make_checkpoints.py failed: " << ReadFile(work / "make_checkpoints.log");
    if (rc != 0) return work;  // no stamp: the next run makes it again
  }
  std::ofstream(stamp_file, std::ios::binary) << stamp;
  return work;
}

// `ptlint check . ARGS` in `work`, so that every path in the output is
// relative and stable.
inline ProcessOutput CheckIn(const fs::path& work, const std::string& args) {
  std::string script = "cd '" + work.string() + "' && exec '" + std::string(PTLINT_BINARY_DIR) +
                       "/ptlint' check . " + args;
  auto r = RunProcess({"/bin/sh", "-c", script});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : ProcessOutput{};
}

// The version moves; goldens say 0.0.0.
inline std::string NormalizeVersion(std::string s) {
  const std::string version = std::string("\"") + PTLINT_VERSION + "\"";
  for (size_t p; (p = s.find(version)) != std::string::npos;) s.replace(p, version.size(), "\"0.0.0\"");
  return s;
}

// Compares `actual` with the golden at `path`, or rewrites the golden when
// PTLINT_UPDATE_GOLDEN is set.
inline void ExpectGolden(const fs::path& path, const std::string& actual) {
  if (std::getenv("PTLINT_UPDATE_GOLDEN")) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << "missing " << path << " (PTLINT_UPDATE_GOLDEN=1 makes it)";
  EXPECT_EQ(ReadFile(path), actual) << "golden " << path << " differs (PTLINT_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace ptlint::rule_cases

#endif  // PTLINT_TESTS_RULE_CASES_H_
