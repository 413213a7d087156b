// Unit checks of the renderers on a few made-up findings: determinism,
// GitHub's SARIF requirements, escaping, fingerprints. The golden of every
// format, on a shared set of real rule-case findings, is in
// tests/output_formats_test.cc.
#include "render/report_formats.h"

#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ptlint {
namespace {

std::vector<Diagnostic> SampleDiagnostics() {
  std::vector<Diagnostic> ds;
  Diagnostic lfs;
  lfs.code = "PTL503";
  lfs.severity = Severity::kError;
  lfs.message = "git-LFS pointer, not the weights (oid sha256:4d7a, 87,000,000 bytes) [not-a-checkpoint.lfs-pointer]";
  lfs.torch_error = "_pickle.UnpicklingError: invalid load key, 'v'.";
  lfs.fix = "run `git lfs pull` in the repository";
  lfs.location.path = "ckpt/model.pt";
  lfs.checkpoint = "ckpt/model.pt";
  lfs.byte_offset = 0;
  ds.push_back(lfs);
  Diagnostic legacy;
  legacy.code = "PTL502";
  legacy.severity = Severity::kWarning;
  legacy.message = "checkpoint is in the legacy stacked-pickle format, with \"quotes\", commas: and %";
  legacy.fix = "re-save with a current torch.save";
  legacy.location.path = "ckpt/old.pt";
  legacy.checkpoint = "ckpt/old.pt";
  legacy.byte_offset = 0;
  legacy.related.push_back({SourceRange{"src/train.py", 12, 5, 12, 30}, "saved here"});
  ds.push_back(legacy);
  Diagnostic src;
  src.code = "PTL503";
  src.severity = Severity::kError;
  src.message = "a finding on a source line";
  src.location = SourceRange{"src/model.py", 3, 9, 3, 17};
  src.checkpoint = "ckpt/model.pt";
  ds.push_back(src);
  std::sort(ds.begin(), ds.end(), DiagnosticLess);
  return ds;
}

std::string Render(OutputFormat f, const std::vector<Diagnostic>& ds) {
  std::ostringstream out;
  ReportSummary summary;
  summary.files_checked = 3;
  summary.statistics = true;
  RenderReport(f, ds, summary, out);
  return out.str();
}

TEST(ReportFormats, OutputIsDeterministic) {
  for (OutputFormat f : {OutputFormat::kJson, OutputFormat::kSarif, OutputFormat::kGithub}) {
    EXPECT_EQ(Render(f, SampleDiagnostics()), Render(f, SampleDiagnostics()));
  }
}

TEST(ReportFormats, SarifHasWhatGithubRequires) {
  auto doc = nlohmann::json::parse(Render(OutputFormat::kSarif, SampleDiagnostics()));
  EXPECT_EQ(doc["version"], "2.1.0");
  EXPECT_TRUE(doc.contains("$schema"));
  const auto& driver = doc["runs"][0]["tool"]["driver"];
  EXPECT_TRUE(driver.contains("informationUri"));
  ASSERT_FALSE(driver["rules"].empty());
  for (const auto& r : driver["rules"]) {
    EXPECT_FALSE(r["help"]["text"].get<std::string>().empty()) << r["id"];
  }
  for (const auto& res : doc["runs"][0]["results"]) {
    EXPECT_TRUE(res.contains("partialFingerprints"));
    EXPECT_EQ(driver["rules"][res["ruleIndex"].get<size_t>()]["id"], res["ruleId"]);
  }
}

TEST(ReportFormats, GithubEscapesPropertiesAndData) {
  std::string out = Render(OutputFormat::kGithub, SampleDiagnostics());
  EXPECT_NE(out.find("title=ptlint (PTL502)::"), std::string::npos);
  EXPECT_NE(out.find("commas: and %25"), std::string::npos);  // data: % escaped, ':' kept
  EXPECT_EQ(out.find("\r"), std::string::npos);
}

TEST(ReportFormats, FingerprintIgnoresLineMoves) {
  auto ds = SampleDiagnostics();
  Diagnostic moved = ds[0];
  moved.location.line += 10;
  EXPECT_EQ(DiagnosticFingerprint(ds[0]), DiagnosticFingerprint(moved));
  moved.code = "PTL502";
  EXPECT_NE(DiagnosticFingerprint(ds[0]), DiagnosticFingerprint(moved));
}

}  // namespace
}  // namespace ptlint
