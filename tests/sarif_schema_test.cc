// ptlint's SARIF as GitHub code scanning will read it, checked by real
// validators from the npm registry (tests/sarif/: ajv + ajv-formats against
// the SARIF 2.1.0 schema shipped in @microsoft/sarif-multitool-linux, GitHub's
// extra constraints checked explicitly, and the SARIF SDK's own
// `Sarif.Multitool validate` with its GitHub rules). See tests/sarif/validate.js.
//
// Validated: the SARIF golden of the shared case set (output_formats_test
// pins it), and live `ptlint --output-format sarif` runs over every rule
// case as prepared for rule_cases_test (its checkpoints made by torch, all
// rules on), and over the hostile inputs: the peer security corpus, the
// torch-made fixtures, tests/fuzz seeds, examples/, and a project whose file
// names need percent-encoding, named by a relative and by an absolute path.
//
// `npm ci` runs once into ${PTLINT_BINARY_DIR}/sarif-validator (again only
// when tests/sarif/package-lock.json changes).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/support/subprocess.h"
#include "tests/rule_cases.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;

fs::path ValidatorDir() { return fs::path(PTLINT_BINARY_DIR) / "sarif-validator"; }
fs::path WorkDir() { return fs::path(PTLINT_BINARY_DIR) / "sarif-schema-test"; }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

ProcessOutput Shell(const std::string& script) {
  auto r = RunProcess({"/bin/sh", "-c", script});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r.value() : ProcessOutput{};
}

class SarifSchema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_.clear();
    if (Shell("command -v node >/dev/null && command -v npm >/dev/null").exit_code != 0) {
      setup_error_ = "node and npm are needed to validate SARIF (Debian: apt-get install nodejs npm)";
      return;
    }
    fs::path src = fs::path(PTLINT_SOURCE_DIR) / "tests" / "sarif";
    fs::path dst = ValidatorDir();
    fs::create_directories(dst);
    // ctest runs each test in its own process, in parallel: one installs
    // while the others wait on this lock, then find node_modules complete.
    int lock = ::open((dst.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
    if (lock >= 0) ::flock(lock, LOCK_EX);
    struct Unlock {
      int fd;
      ~Unlock() {
        if (fd >= 0) ::close(fd);  // closing releases the flock
      }
    } unlock{lock};
    bool fresh = fs::exists(dst / "node_modules" / ".package-lock.json") &&
                 ReadFile(dst / "package-lock.json") == ReadFile(src / "package-lock.json");
    for (const char* f : {"package.json", "package-lock.json", "validate.js"}) {
      fs::copy_file(src / f, dst / f, fs::copy_options::overwrite_existing);
    }
    if (fresh) return;
    auto r = Shell("cd " + Quote(dst.string()) +
                   " && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1");
    if (r.exit_code != 0) setup_error_ = "npm ci in " + dst.string() + " failed:\n" + r.out + r.err;
  }

  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  // Runs the validator over `files`; returns its output, exit code in *rc.
  // Sarif.Multitool takes ~0.8 s a file: it runs on a few files only.
  static std::string Validate(const std::vector<fs::path>& files, int* rc, bool multitool = false) {
    std::string cmd = "node " + Quote((ValidatorDir() / "validate.js").string());
    if (!multitool) cmd += " --no-multitool";
    for (const fs::path& f : files) cmd += " " + Quote(f.string());
    auto r = Shell(cmd + " 2>&1");
    *rc = r.exit_code;
    return r.out + r.err;
  }

  // `ptlint check ARGS --output-format sarif -o OUT` in `cwd`.
  static void Sarif(const fs::path& cwd, const std::string& args, const fs::path& out) {
    auto r = Shell("cd " + Quote(cwd.string()) + " && " + Quote(std::string(PTLINT_BINARY_DIR) + "/ptlint") +
                   " check " + args + " --output-format sarif -o " + Quote(out.string()) + " 2>&1");
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << "ptlint check " << args << " in " << cwd << ":\n"
                                                      << r.out << r.err;
    EXPECT_TRUE(fs::exists(out)) << out;
  }

  static std::string setup_error_;
};
std::string SarifSchema::setup_error_;

// The validator itself must fail on what GitHub rejects.
TEST_F(SarifSchema, ValidatorRejectsWhatGithubRejects) {
  fs::create_directories(WorkDir());
  fs::path bad = WorkDir() / "bad.sarif";
  std::ofstream(bad) << R"({
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [{
    "tool": {"driver": {"name": "ptlint", "rules": [{"id": "PTL201", "shortDescription": {"text": "x"}}]}},
    "results": [
      {"ruleId": "PTL999", "level": "fatal", "message": {"text": "m"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "/abs/my file.py"},
                                           "region": {"startLine": 0}}}]},
      {"message": {"text": "no rule"},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "ckpt/x.pt", "uriBaseId": "%SRCROOT%"}}}]}
    ]
  }]
})";
  int rc = 0;
  std::string out = Validate({bad}, &rc);
  EXPECT_EQ(rc, 1) << out;
  for (const char* expected : {"schema:", "help/text", "fullDescription/text", "is not among tool.driver.rules",
                               "invalid level fatal", "partialFingerprints: missing", "not a percent-encoded URI",
                               "absolute path", "startLine: must be an integer >= 1", "ruleId: missing",
                               "region: missing"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << "validator did not report `" << expected << "`:\n" << out;
  }
  // The SARIF SDK's validator and its GitHub rules (it skips files it cannot
  // deserialize, such as the one above: this one it can read).
  fs::path no_help = WorkDir() / "no_help.sarif";
  std::ofstream(no_help) << R"({
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [{
    "tool": {"driver": {"name": "ptlint", "rules": [{"id": "PTL201", "shortDescription": {"text": "x"}}]}},
    "results": [{"ruleId": "PTL201", "message": {"text": "m"}, "partialFingerprints": {"ptlint/v1": "1"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
                                                     "region": {"startLine": 0}}}]}]
  }]
})";
  out = Validate({no_help}, &rc, /*multitool=*/true);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("Sarif.Multitool GH2012"), std::string::npos) << out;
  EXPECT_NE(out.find("Sarif.Multitool JSON1008"), std::string::npos) << out;
}

TEST_F(SarifSchema, GoldensAndLiveOutputAreValidForGithub) {
  fs::path work = WorkDir() / "live";
  fs::remove_all(work);
  fs::create_directories(work);
  std::vector<fs::path> files;

  // Every rule case, prepared as rule_cases_test runs it (project/ copied,
  // checkpoints made by torch; shared with it, tests/rule_cases.h), checked
  // with every rule: its checkpoint and source findings, and what the other
  // rules say about the same project.
  size_t cases = 0;
  for (const rule_cases::RuleCase& c : rule_cases::DiscoverCases()) {
    fs::path prepared = rule_cases::Prepare(c);
    fs::path out = work / ("case_" + c.code + "_" + c.name + ".sarif");
    Sarif(prepared, ".", out);
    files.push_back(out);
    ++cases;
  }
  EXPECT_GE(cases, 50u);
  files.push_back(fs::path(PTLINT_SOURCE_DIR) / "tests" / "golden" / "formats" / "sarif.json");

  // Live: hostile and real inputs.
  fs::path corpus = PTLINT_CORPUS_DIR;
  if (fs::exists(corpus)) {
    Sarif(corpus, ".", work / "security_corpus.sarif");
    files.push_back(work / "security_corpus.sarif");
  }
  if (fs::exists(PTLINT_FIXTURE_DIR)) {
    Sarif(PTLINT_FIXTURE_DIR, ".", work / "fixtures.sarif");
    files.push_back(work / "fixtures.sarif");
  }
  Sarif(fs::path(PTLINT_SOURCE_DIR) / "tests" / "fuzz", ".", work / "fuzz_seeds.sarif");
  files.push_back(work / "fuzz_seeds.sarif");
  Sarif(fs::path(PTLINT_SOURCE_DIR) / "examples", ".", work / "examples.sarif");
  files.push_back(work / "examples.sarif");

  // File names that must be percent-encoded, a findings-on-line-0 checkpoint
  // (an LFS pointer), and a path outside the working directory.
  fs::path odd = work / "odd project";
  fs::create_directories(odd / "src" / "mödels #1");
  std::ofstream(odd / "src" / "mödels #1" / "net 100%.py")
      << "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.fc = torch.nn.Linear(2, 2)\n\n\nmodel = Net()\ntorch.save(model, \"ckpt/a b.pt\")\n"
         "torch.save(model, \"ckpt/a b.pt\")\n";
  fs::create_directories(odd / "ckpt");
  std::ofstream(odd / "ckpt" / "a b#c%.pt")
      << "version https://git-lfs.github.com/spec/v1\noid sha256:"
         "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
  Sarif(odd, ".", work / "odd_relative.sarif");
  Sarif(work, Quote(odd.string()), work / "odd_absolute.sarif");
  Sarif(odd / "src", "../ckpt", work / "odd_parent.sarif");
  files.push_back(work / "odd_relative.sarif");
  files.push_back(work / "odd_absolute.sarif");
  files.push_back(work / "odd_parent.sarif");
  std::string relative = ReadFile(work / "odd_relative.sarif");
  EXPECT_NE(relative.find("\"uri\": \"ckpt/a%20b%23c%25.pt\""), std::string::npos) << relative;
  EXPECT_NE(relative.find("\"uri\": \"src/m%C3%B6dels%20%231/net%20100%25.py\""), std::string::npos) << relative;
  EXPECT_NE(ReadFile(work / "odd_parent.sarif").find("\"uri\": \"file:///"), std::string::npos);

  int rc = 0;
  std::string out = Validate(files, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
  std::vector<fs::path> sample = {fs::path(PTLINT_SOURCE_DIR) / "tests" / "golden" / "formats" / "sarif.json",
                                  work / "odd_relative.sarif", work / "odd_parent.sarif", work / "examples.sarif"};
  if (fs::exists(work / "security_corpus.sarif")) sample.push_back(work / "security_corpus.sarif");
  out = Validate(sample, &rc, /*multitool=*/true);
  EXPECT_EQ(rc, 0) << out;
  std::cout << out;
}

}  // namespace
}  // namespace ptlint
