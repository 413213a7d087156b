// Differential test: ptlint's static reader against torch itself.
//
// One parameterized test per fixture in PTLINT_FIXTURE_DIR/manifest.json
// (written by tests/make_fixtures.py with Debian's torch 1.13):
//  - Manifest.<fixture>: ReadCheckpoint against the ground truth torch computed
//    while saving (format, layout, state-dict path, tensor names / dtypes /
//    shapes / devices, corrupt-file error families). Always runs.
//  - Oracle.<fixture>: ReadCheckpoint against `ptlint-torch describe` (LibTorch's
//    own readers, a subprocess): zip records, version, tensor names, dtypes,
//    shapes. Skipped when the oracle was not built (PTLINT_WITH_TORCH=OFF)
//    or when LibTorch itself cannot read the fixture (it says why).
//
// The test list is fixed when gtest_discover_tests lists the tests at build
// time, before ctest's make_fixtures step: if the manifest is missing then,
// the fixtures are made here first (a few seconds).

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/support/subprocess.h"

namespace ptlint {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kFixtureDir(PTLINT_FIXTURE_DIR);
const fs::path kOracle = fs::path(PTLINT_BINARY_DIR) / "ptlint-torch";

// Problem code ReadCheckpoint must report for each manifest `error` family
// (the same vocabulary as analyzer/checkpoint_reader_test.cc).
const std::map<std::string, std::string>& ProblemCodeForFamily() {
  static const std::map<std::string, std::string> kCodes = {
      {"lfs-pointer", "file.lfs-pointer"},
      {"html", "file.html"},
      {"empty", "file.empty"},
      {"unknown-binary", "file.unknown-format"},
      {"missing-record", "zip.missing-record"},
      {"missing-version", "zip.missing-version"},
      {"storage-size-mismatch", "storage.size-mismatch"},
      {"safetensors-as-pickle", "safetensors.not-for-torch-load"},
      {"index-missing-tensor", "index.tensor-missing-from-shard"},
      {"index-extra-tensor", "index.tensor-not-in-weight-map"},
      {"index-duplicate-tensor", "index.duplicate-tensor"},
      {"index-total-size", "index.total-size-mismatch"},
      {"index-path-traversal", "index.shard-path-escapes"},
  };
  return kCodes;
}

struct Fixture {
  std::string test_name;  // path with everything but [A-Za-z0-9] turned into '_'
  json entry;             // the manifest entry
};

std::string TestName(const std::string& path) {
  std::string name;
  for (char c : path) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

std::vector<Fixture> LoadFixtures() {
  const fs::path manifest_path = kFixtureDir / "manifest.json";
  if (!fs::exists(manifest_path)) {
    const std::string command = std::string("'") + PTLINT_PYTHON + "' '" PTLINT_SOURCE_DIR
                                "/tests/make_fixtures.py' '" + kFixtureDir.string() +
                                "' >/dev/null";
    if (std::system(command.c_str()) != 0) return {};
  }
  std::ifstream in(manifest_path);
  json manifest = json::parse(in, nullptr, /*allow_exceptions=*/false);
  std::vector<Fixture> out;
  if (manifest.is_discarded() || !manifest.contains("fixtures")) return out;
  std::set<std::string> seen;
  for (const json& entry : manifest["fixtures"]) {
    if (!entry.contains("path") || !entry["path"].is_string()) continue;
    std::string name = TestName(entry["path"].get<std::string>());
    while (!seen.insert(name).second) name += "_";
    out.push_back({name, entry});
  }
  return out;
}

const std::vector<Fixture>& Fixtures() {
  static const std::vector<Fixture> fixtures = LoadFixtures();
  return fixtures;
}

std::string ProblemList(const Checkpoint& cp) {
  std::string out;
  for (const ReaderProblem& p : cp.problems) {
    out += "\n  [" + std::string(SeverityName(p.severity)) + "] " + p.code + ": " + p.message;
  }
  return out.empty() ? " (no problems)" : out;
}

bool HasProblem(const Checkpoint& cp, const std::string& code) {
  return std::any_of(cp.problems.begin(), cp.problems.end(),
                     [&](const ReaderProblem& p) { return p.code == code; });
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// Zip record names as LibTorch lists them: without the archive folder.
std::vector<std::string> RecordsWithoutFolder(const Checkpoint& cp) {
  std::vector<std::string> out;
  const std::string prefix = cp.archive_name.empty() ? "" : cp.archive_name + "/";
  for (const std::string& name : cp.record_names) {
    out.push_back(!prefix.empty() && name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name);
  }
  return out;
}

// The reader's tensor for a manifest name. Whole-module pickles may be named
// either by state-dict key or by object path; the manifest gives both.
const TensorInfo* FindTensor(const std::map<std::string, const TensorInfo*>& by_name,
                             const json& want) {
  for (const char* field : {"name", "object_path"}) {
    if (!want.contains(field) || !want[field].is_string()) continue;
    auto it = by_name.find(want[field].get<std::string>());
    if (it != by_name.end()) return it->second;
  }
  return nullptr;
}

// One test per fixture, registered at start-up (RegisterTest) rather than
// with TEST_P: CMake 3.25's gtest_discover_tests would keep gtest's
// "# GetParam() = ..." comment in every ctest name.
class FixtureTest : public ::testing::Test {
 public:
  explicit FixtureTest(const Fixture* fixture) : fixture_(fixture) {}
  const Fixture& GetParam() const { return *fixture_; }

 private:
  const Fixture* fixture_;
};

class Manifest : public FixtureTest {
 public:
  using FixtureTest::FixtureTest;
  void TestBody() override;
};

class Oracle : public FixtureTest {
 public:
  using FixtureTest::FixtureTest;
  void TestBody() override;
};

TEST(FixtureSet, ManifestIsThereAndComplete) {
  ASSERT_FALSE(Fixtures().empty()) << "no fixtures in " << kFixtureDir
                                   << ": run tests/make_fixtures.py " << kFixtureDir;
  std::set<std::string> formats, errors;
  for (const Fixture& f : Fixtures()) {
    formats.insert(f.entry.value("format", ""));
    if (f.entry["error"].is_string()) errors.insert(f.entry["error"].get<std::string>());
  }
  for (const char* format : {"torch-zip", "torchscript", "legacy", "legacy-tar", "safetensors",
                             "sharded-index", "distributed-checkpoint", "not-a-checkpoint"}) {
    EXPECT_TRUE(formats.count(format)) << "no fixture of format " << format;
  }
  for (const auto& [family, code] : ProblemCodeForFamily()) {
    EXPECT_TRUE(errors.count(family)) << "no fixture for error family " << family;
  }
  EXPECT_TRUE(errors.count("truncated-zip"));
  EXPECT_GE(Fixtures().size(), 60u);
}

void Manifest::TestBody() {
  const json& fx = GetParam().entry;
  const std::string rel = fx["path"].get<std::string>();
  const Checkpoint cp = ReadCheckpoint((kFixtureDir / rel).string());

  EXPECT_STREQ(ContainerFormatName(cp.format), fx["format"].get<std::string>().c_str())
      << ProblemList(cp);

  const std::string family = fx["error"].is_string() ? fx["error"].get<std::string>() : "";
  if (family.empty()) {
    EXPECT_STREQ(LayoutName(cp.layout), fx["layout"].get<std::string>().c_str());
    for (const ReaderProblem& p : cp.problems) {
      EXPECT_NE(p.severity, Severity::kError) << "unexpected error on a sound file: " << p.code
                                              << ": " << p.message;
    }
  } else if (family == "truncated-zip") {
    ASSERT_FALSE(cp.problems.empty()) << "a truncated zip read without complaint";
    EXPECT_EQ(cp.problems[0].code.rfind("zip.", 0), 0u) << ProblemList(cp);
    EXPECT_EQ(cp.problems[0].severity, Severity::kError) << ProblemList(cp);
    return;  // nothing else to compare: torch reads no tensor from it either
  } else {
    auto code = ProblemCodeForFamily().find(family);
    ASSERT_NE(code, ProblemCodeForFamily().end()) << "error family without a code: " << family;
    EXPECT_TRUE(HasProblem(cp, code->second)) << "want " << code->second << ProblemList(cp);
  }

  // The state dict's place, when torch's walk put one somewhere.
  if (fx["state_dict_path"].is_string() && fx["layout"] != "sharded" &&
      fx["format"] != "distributed-checkpoint" && family.empty()) {
    EXPECT_EQ(cp.state_dict_path, fx["state_dict_path"].get<std::string>());
  }

  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : cp.tensors) by_name.emplace(t.name, &t);
  std::set<const TensorInfo*> matched;
  for (const json& want : fx["tensors"]) {
    const std::string name = want["name"].get<std::string>();
    const TensorInfo* got = FindTensor(by_name, want);
    if (got == nullptr) {
      ADD_FAILURE() << "tensor " << name << " (" << want["dtype"].get<std::string>() << " "
                    << ShapeText(want["shape"].get<std::vector<int64_t>>())
                    << ") is missing from the reader's tensors";
      continue;
    }
    matched.insert(got);
    EXPECT_EQ(got->dtype, want["dtype"].get<std::string>()) << name;
    EXPECT_EQ(ShapeText(got->shape), ShapeText(want["shape"].get<std::vector<int64_t>>())) << name;
    EXPECT_EQ(got->location, want["device"].get<std::string>()) << name;
    if (want.contains("kind")) {
      EXPECT_EQ(got->kind, want["kind"].get<std::string>()) << name;
    }
  }
  for (const TensorInfo& t : cp.tensors) {
    EXPECT_TRUE(matched.count(&t)) << "the reader found tensor " << t.name
                                   << " that torch did not save";
  }
  EXPECT_EQ(cp.tensors.size(), fx["tensors"].size());

  // Zip records and version, as Python's zipfile listed them.
  if (!fx["records"].empty() && (fx["format"] == "torch-zip" || fx["format"] == "torchscript") &&
      family.empty()) {
    EXPECT_EQ(RecordsWithoutFolder(cp), fx["records"].get<std::vector<std::string>>());
    EXPECT_EQ(cp.archive_name, fx["archive_name"].get<std::string>());
    if (fx["version"].is_number()) {
      auto v = cp.records.find("version");
      ASSERT_NE(v, cp.records.end()) << "no version record read";
      EXPECT_EQ(v->second, std::to_string(fx["version"].get<int64_t>()));
    }
  }

  if (fx.contains("tied_groups")) {
    for (const json& group : fx["tied_groups"]) {
      std::vector<std::string> want = group.get<std::vector<std::string>>();
      std::sort(want.begin(), want.end());
      bool found = std::any_of(cp.tied_groups.begin(), cp.tied_groups.end(), [&](auto g) {
        std::sort(g.begin(), g.end());
        return g == want;
      });
      EXPECT_TRUE(found) << "tensors sharing a storage not grouped: " << group.dump();
    }
  }
}

// Runs `ptlint-torch describe` on a fixture; the JSON it printed.
json Describe(const std::string& path) {
  auto run = RunProcess({kOracle.string(), "describe", path});
  if (!run.ok()) return json{{"ok", false}, {"error", "cannot run the oracle: " + run.error().message}};
  json out = json::parse(run->out, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    return json{{"ok", false}, {"error", "oracle printed no JSON (exit " +
                                             std::to_string(run->exit_code) + "): " + run->err}};
  }
  return out;
}

void Oracle::TestBody() {
  if (!fs::exists(kOracle)) {
    GTEST_SKIP() << "ptlint-torch not built (configure with -DPTLINT_WITH_TORCH=ON): "
                 << kOracle;
  }
  const json& fx = GetParam().entry;
  const std::string path = (kFixtureDir / fx["path"].get<std::string>()).string();
  if (!fs::is_regular_file(path)) GTEST_SKIP() << "a folder: LibTorch has no reader for it";
  const json oracle = Describe(path);
  ASSERT_TRUE(oracle.contains("ok")) << oracle.dump();
  const Checkpoint cp = ReadCheckpoint(path);

  // LibTorch's zip reader opened it: the record list and version must agree
  // even if the pickle inside is beyond LibTorch.
  if (oracle.contains("records") && !oracle["records"].empty()) {
    EXPECT_EQ(RecordsWithoutFolder(cp), oracle["records"].get<std::vector<std::string>>());
    if (oracle["version"].is_number()) {
      auto v = cp.records.find("version");
      ASSERT_NE(v, cp.records.end()) << "LibTorch read version " << oracle["version"];
      EXPECT_EQ(v->second, std::to_string(oracle["version"].get<int64_t>()));
    }
  }
  if (!oracle["ok"].get<bool>()) {
    GTEST_SKIP() << "LibTorch cannot read it: " << oracle["error"].get<std::string>().substr(0, 300);
  }

  std::map<std::string, const TensorInfo*> by_name;
  for (const TensorInfo& t : cp.tensors) by_name.emplace(t.name, &t);
  std::set<std::string> oracle_names;
  for (const json& want : oracle["tensors"]) {
    const std::string name = want["name"].get<std::string>();
    oracle_names.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      ADD_FAILURE() << "LibTorch sees tensor " << name << ", ptlint does not";
      continue;
    }
    EXPECT_EQ(it->second->dtype, want["dtype"].get<std::string>()) << name;
    EXPECT_EQ(ShapeText(it->second->shape), ShapeText(want["shape"].get<std::vector<int64_t>>()))
        << name;
  }
  for (const TensorInfo& t : cp.tensors) {
    EXPECT_TRUE(oracle_names.count(t.name)) << "ptlint sees tensor " << t.name << ", LibTorch does not";
  }
  if (oracle["reader"] == "pickle_load" && oracle["state_dict_path"].is_string()) {
    EXPECT_EQ(cp.state_dict_path, oracle["state_dict_path"].get<std::string>());
  }
}

const bool kRegistered = [] {
  for (const Fixture& fixture : Fixtures()) {
    const Fixture* f = &fixture;
    ::testing::RegisterTest("Manifest", f->test_name.c_str(), nullptr, nullptr,
                            __FILE__, __LINE__,
                            [f]() -> FixtureTest* { return new Manifest(f); });
    ::testing::RegisterTest("Oracle", f->test_name.c_str(), nullptr, nullptr,
                            __FILE__, __LINE__,
                            [f]() -> FixtureTest* { return new Oracle(f); });
  }
  return true;
}();

}  // namespace
}  // namespace ptlint
