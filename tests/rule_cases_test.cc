// One positive and one near-miss negative project per rule, with golden
// output per format. Layout:
//
//   tests/rules/<CODE>/<case>/project/...          the fixture project (source, config)
//   tests/rules/<CODE>/<case>/make_checkpoints.py  run with Debian's torch in a copy of
//                                                  project/ (the cwd) to make its checkpoints
//   tests/rules/<CODE>/<case>/expected.<format>    golden `ptlint check . --select <CODE>`
//                                                  output for concise, json, sarif, github
//
// A case whose name starts with "negative" must give no finding for its
// code; any other case must give at least one. Regenerate goldens after an
// intended change with PTLINT_UPDATE_GOLDEN=1 and review the diff.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/support/subprocess.h"

namespace ptlint {
namespace {
namespace fs = std::filesystem;

struct RuleCase {
  std::string code;
  std::string name;
  fs::path dir;
};

// ctest names the tests after GetParam(); printing the case (not its bytes)
// keeps the names stable between discovery and run.
void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.code << "/" << c.name; }

std::vector<RuleCase> DiscoverCases() {
  std::vector<RuleCase> cases;
  fs::path root = fs::path(PTLINT_SOURCE_DIR) / "tests" / "rules";
  std::error_code ec;
  for (const auto& code_dir : fs::directory_iterator(root, ec)) {
    if (!code_dir.is_directory()) continue;
    for (const auto& case_dir : fs::directory_iterator(code_dir.path())) {
      if (case_dir.is_directory() && fs::exists(case_dir.path() / "project")) {
        cases.push_back({code_dir.path().filename().string(), case_dir.path().filename().string(),
                         case_dir.path()});
      }
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const RuleCase& a, const RuleCase& b) { return a.code + a.name < b.code + b.name; });
  return cases;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The working copy of a case: project/ copied, checkpoints made in it.
fs::path Prepare(const RuleCase& c) {
  fs::path work = fs::path(PTLINT_BINARY_DIR) / "rule_cases" / c.code / c.name;
  fs::remove_all(work);
  fs::create_directories(work);
  fs::copy(c.dir / "project", work, fs::copy_options::recursive);
  if (fs::exists(c.dir / "make_checkpoints.py")) {
    std::string cmd = "cd '" + work.string() + "' && " + PTLINT_PYTHON + " '" +
                      (c.dir / "make_checkpoints.py").string() + "' > make_checkpoints.log 2>&1";
    int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << "make_checkpoints.py failed: " << ReadFile(work / "make_checkpoints.log");
  }
  return work;
}

ProcessOutput CheckIn(const fs::path& work, const std::string& code, const std::string& format) {
  // Run from the case folder so every path in the output is relative and stable.
  std::string script = "cd '" + work.string() + "' && exec '" + std::string(PTLINT_BINARY_DIR) +
                       "/ptlint' check . --select " + code + " --output-format " + format;
  auto r = RunProcess({"/bin/sh", "-c", script});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : ProcessOutput{};
}

std::string Normalize(std::string s) {
  const std::string version = std::string("\"") + PTLINT_VERSION + "\"";
  for (size_t p; (p = s.find(version)) != std::string::npos;) s.replace(p, version.size(), "\"0.0.0\"");
  return s;
}

class RuleCaseTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleCaseTest, MatchesGoldenOutput) {
  const RuleCase& c = GetParam();
  fs::path work = Prepare(c);
  bool negative = c.name.rfind("negative", 0) == 0;

  auto json = CheckIn(work, c.code, "json");
  ASSERT_TRUE(json.exit_code == 0 || json.exit_code == 1) << json.err;
  auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  size_t findings = 0;
  for (const auto& d : doc["diagnostics"]) findings += d["code"] == c.code ? 1 : 0;
  if (negative) {
    EXPECT_EQ(findings, 0u) << "near-miss case must be clean:\n" << json.out;
    EXPECT_EQ(json.exit_code, 0);
  } else {
    EXPECT_GT(findings, 0u) << "positive case must be caught:\n" << json.out;
    EXPECT_EQ(json.exit_code, 1);
  }

  for (const char* format : {"concise", "json", "sarif", "github"}) {
    std::string ext = std::string(format) == "json" || std::string(format) == "sarif"
                          ? std::string(format) + ".json" : std::string(format) + ".txt";
    fs::path golden = c.dir / ("expected." + ext);
    std::string actual = Normalize(CheckIn(work, c.code, format).out);
    if (std::getenv("PTLINT_UPDATE_GOLDEN")) {
      std::ofstream(golden, std::ios::binary) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << "missing " << golden << " (PTLINT_UPDATE_GOLDEN=1 makes it)";
    EXPECT_EQ(ReadFile(golden), actual) << c.code << "/" << c.name << " " << format;
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, RuleCaseTest, ::testing::ValuesIn(DiscoverCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& info) {
                           std::string n = info.param.code + "_" + info.param.name;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RuleCaseTest);

}  // namespace
}  // namespace ptlint
