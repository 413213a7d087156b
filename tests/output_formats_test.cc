// Every output format once, on one shared set of findings, one golden per
// format (tests/golden/formats/). Rule cases (tests/rules/, see
// tests/rule_cases.h) are pinned by one full-format snapshot each
// (rule_cases_test); here the renderers get what those cases really
// produce, side by side: source and checkpoint findings, several on one line, related
// locations, torch errors, security findings with pickle excerpts, plus a
// few made-up findings for what the cases do not reach (quotes, commas and
// `%` to escape, a text edit, a source line that is not on disk).
//
// Each case is checked on its own, as `ptlint check . --select <CODE>` in
// its prepared folder (one run over all of them would be one project, with
// every checkpoint bound against every case's classes); its JSON report is
// read back, its paths prefixed with <CODE>/<case>/, and the union rendered
// in one report per format, from the prepared cases' root so that the full
// format shows the source lines. Regenerate with PTLINT_UPDATE_GOLDEN=1 and
// review the diff.
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "render/report_formats.h"
#include "rules/registry.h"
#include "tests/rule_cases.h"

namespace ptlint::rule_cases {
namespace {

// The shared set: one or two positive cases per rule module, and a clean one.
constexpr const char* kSharedCases[] = {
    "PTL101/moved_package",      "PTL104/new_attribute",     "PTL203/factory_argument",
    "PTL303/argparse_namespace_torch26", "PTL402/adam_state_into_sgd", "PTL502/negative_zip_format",
    "PTL503/lfs_pointer",        "PTL601/os_system_reduce",  "PTL604/computed_stack_global",
    "PTL702/script_class",
    // Silent by design, for --explain: a construction ptlint cannot read, a
    // file no class explains.
    "PTL302/state_dict_eval", "PTL202/negative_open_class_never_binds",
};

std::string Prefixed(const std::string& prefix, const std::string& path) {
  return path.empty() || path[0] == '/' ? path : prefix + path;
}

SourceRange RangeFromJson(const nlohmann::json& j, const std::string& prefix) {
  return SourceRange{Prefixed(prefix, j.value("path", "")), j.value("line", 0), j.value("column", 0),
                     j.value("end_line", 0), j.value("end_column", 0)};
}

Severity SeverityFromName(const std::string& name) {
  for (Severity s : {Severity::kError, Severity::kWarning, Severity::kInfo}) {
    if (name == SeverityName(s)) return s;
  }
  ADD_FAILURE() << "unknown severity " << name;
  return Severity::kError;
}

// Made-up findings for what the cases do not reach.
void AddSynthetic(std::vector<Diagnostic>* ds) {
  Diagnostic lfs;
  lfs.code = "PTL503";
  lfs.severity = Severity::kError;
  lfs.message = "git-LFS pointer, not the weights (oid sha256:4d7a, 87,000,000 bytes) [not-a-checkpoint.lfs-pointer]";
  lfs.torch_error = "_pickle.UnpicklingError: invalid load key, 'v'.";
  lfs.fix = "run `git lfs pull` in the repository";
  lfs.location.path = "synthetic/ckpt/model.pt";
  lfs.checkpoint = "synthetic/ckpt/model.pt";
  lfs.byte_offset = 0;
  ds->push_back(lfs);
  Diagnostic legacy;
  legacy.code = "PTL502";
  legacy.severity = Severity::kWarning;
  legacy.message = "checkpoint is in the legacy stacked-pickle format, with \"quotes\", commas: and % <&>";
  legacy.fix = "re-save with a current torch.save";
  legacy.location.path = "synthetic/ckpt/old.pt";
  legacy.checkpoint = "synthetic/ckpt/old.pt";
  legacy.byte_offset = 0;
  legacy.related.push_back({SourceRange{"synthetic/src/train.py", 12, 5, 12, 30}, "saved here"});
  ds->push_back(legacy);
  Diagnostic src;
  src.code = "PTL304";
  src.severity = Severity::kWarning;
  src.message = "a finding on a source line that is not on disk, with a machine-applicable fix";
  src.location = SourceRange{"synthetic/src/model.py", 3, 9, 3, 17};
  src.checkpoint = "synthetic/ckpt/model.pt";
  src.edits.push_back({SourceRange{"synthetic/src/model.py", 3, 17, 3, 17}, ", map_location=\"cpu\""});
  ds->push_back(src);
}

struct Shared {
  std::vector<Diagnostic> diagnostics;
  ReportSummary summary;
};

const Shared& SharedSet() {
  static const Shared shared = [] {
    Shared s;
    for (const char* id : kSharedCases) {
      RuleCase c = FindCase(id);
      fs::path work = Prepare(c);
      auto r = CheckIn(work, "--select " + c.code + " --output-format json");
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << id << ": " << r.err;
      auto doc = nlohmann::json::parse(r.out, nullptr, false);
      if (doc.is_discarded()) {
        ADD_FAILURE() << id << ": not JSON:\n" << r.out;
        continue;
      }
      std::string prefix = c.id() + "/";
      s.summary.files_checked += doc.value("files_checked", size_t{0});
      for (const auto& cj : doc["checkpoints"]) {
        CheckpointReport cr;
        cr.path = Prefixed(prefix, cj.value("path", ""));
        cr.format = cj.value("format", "");
        cr.layout = cj.value("layout", "");
        const auto& b = cj["binding"];
        if (b["class"].is_string()) cr.binding_class = b["class"].get<std::string>();
        cr.binding_how = b.value("how", "");
        cr.binding_factory = b.value("factory", "");
        cr.binding_score = b.value("score", 0.0);
        for (const auto& cand : b["candidates"]) cr.candidates.push_back(cand.get<std::string>());
        cr.binding_site = Prefixed(prefix, b.value("site", ""));
        cr.construction_known = b.value("construction_known", true);
        cr.binding_note = b.value("note", "");
        s.summary.checkpoints.push_back(cr);
      }
      for (const auto& dj : doc["diagnostics"]) {
        Diagnostic d;
        d.code = dj.value("code", "");
        d.severity = SeverityFromName(dj.value("severity", ""));
        d.message = dj.value("message", "");
        d.torch_error = dj.value("torch_error", "");
        d.fix = dj.value("fix", "");
        d.location = RangeFromJson(dj["location"], prefix);
        d.checkpoint = Prefixed(prefix, dj.value("checkpoint", ""));
        d.byte_offset = dj.value("byte_offset", int64_t{-1});
        for (const auto& rj : dj["related"]) {
          d.related.push_back({RangeFromJson(rj["location"], prefix), rj.value("message", "")});
        }
        for (const auto& ej : dj["edits"]) {
          d.edits.push_back({RangeFromJson(ej["range"], prefix), ej.value("new_text", "")});
        }
        s.diagnostics.push_back(d);
      }
    }
    AddSynthetic(&s.diagnostics);
    s.summary.files_checked += 3;
    s.summary.statistics = true;
    s.summary.explain = true;
    std::sort(s.diagnostics.begin(), s.diagnostics.end(), DiagnosticLess);
    return s;
  }();
  return shared;
}

// Rendered from the prepared cases' root, where the full format finds the
// source lines under the prefixed paths.
std::string Render(OutputFormat f) {
  const Shared& s = SharedSet();
  std::ostringstream out;
  fs::path cwd = fs::current_path();
  fs::current_path(PreparedRoot());
  RenderReport(f, s.diagnostics, s.summary, out);
  fs::current_path(cwd);
  return out.str();
}

struct FormatGolden {
  const char* file;
  OutputFormat format;
};
// Stable test names for ctest (the default would print pointer values).
void PrintTo(const FormatGolden& g, std::ostream* os) { *os << g.file; }

class OutputFormats : public ::testing::TestWithParam<FormatGolden> {};

// SARIF links to the docs of the tree the binary was built from (file://
// <checkout>/ unless PTLINT_PUBLISHED_URL is set): the golden holds a fixed
// base instead, so it does not depend on where the checkout is.
std::string NormalizeDocsUrl(std::string s) {
  std::string readme = ToolDocumentationUrl();
  const std::string base = readme.substr(0, readme.size() - std::string("README.md").size());
  for (size_t p; (p = s.find(base)) != std::string::npos;) s.replace(p, base.size(), "file:///ptlint/");
  return s;
}

TEST_P(OutputFormats, MatchesGolden) {
  std::string actual = NormalizeDocsUrl(NormalizeVersion(Render(GetParam().format)));
  ExpectGolden(fs::path(PTLINT_SOURCE_DIR) / "tests" / "golden" / "formats" / GetParam().file, actual);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, OutputFormats,
                         ::testing::Values(FormatGolden{"full.txt", OutputFormat::kFull},
                                           FormatGolden{"concise.txt", OutputFormat::kConcise},
                                           FormatGolden{"json.json", OutputFormat::kJson},
                                           FormatGolden{"sarif.json", OutputFormat::kSarif},
                                           FormatGolden{"github.txt", OutputFormat::kGithub},
                                           FormatGolden{"junit.xml", OutputFormat::kJunit}),
                         [](const auto& info) {
                           std::string n = info.param.file;
                           return n.substr(0, n.find('.'));
                         });

// The set is what it claims: every case's findings, and more than one rule module.
TEST(OutputFormatsSharedSet, CoversTheCases) {
  const Shared& s = SharedSet();
  for (const char* id : kSharedCases) {
    RuleCase c = FindCase(id);
    size_t n = std::count_if(s.diagnostics.begin(), s.diagnostics.end(), [&](const Diagnostic& d) {
      return d.location.path.rfind(c.id() + "/", 0) == 0;
    });
    if (c.negative()) {
      EXPECT_EQ(n, 0u) << id;
    } else {
      EXPECT_GT(n, 0u) << id;
    }
  }
  // PTL702's project saves, loads nothing; the two negatives hold several checkpoints each.
  EXPECT_GE(s.summary.checkpoints.size(), std::size(kSharedCases) - 1);
  // --explain says why the silent ones are silent.
  size_t silent_with_reason = std::count_if(s.summary.checkpoints.begin(), s.summary.checkpoints.end(),
                                            [](const CheckpointReport& r) {
                                              return (!r.construction_known || r.binding_class.empty()) &&
                                                     !r.binding_note.empty();
                                            });
  EXPECT_GE(silent_with_reason, 2u);
}

}  // namespace
}  // namespace ptlint::rule_cases

namespace ptlint {
namespace {

namespace fs = std::filesystem;

// Bytes an attacker controls reach every format: a checkpoint's file name
// (newline, ESC, a byte that is not UTF-8) and a pickled GLOBAL's names (NUL,
// ESC and BEL sequences, the C1 control CSI). Each format must stay valid for
// a real parser (Python's json and xml.etree, strict UTF-8), keep one finding
// per line where it is line-based, and let no control byte through to a
// terminal or a CI log.
TEST(OutputFormatsHostileBytes, EveryFormatStaysValidAndInert) {
  fs::path dir = fs::path(PTLINT_BINARY_DIR) / "hostile_bytes_formats";
  fs::remove_all(dir);
  fs::create_directories(dir / "project");
  const std::string name = std::string("bad\nname\x1b[2J\xff.pt");
  // GLOBAL (protocol 2): "c" module "\n" name "\n", then EMPTY_TUPLE REDUCE STOP.
  static const char kPickle[] = "\x80\x02" "c" "os\0evil\x1b[31m\xc2\x9b\xc3\xa9\n" "sys\x1b]0;pwned\x07tem\n" ")R.";
  const std::string pickle(kPickle, sizeof kPickle - 1);
  std::ofstream(dir / "project" / name, std::ios::binary) << pickle;
  const char* formats[] = {"concise", "full", "json", "sarif", "github", "junit"};
  for (const char* f : formats) {
    auto r = RunProcess({"/bin/sh", "-c",
                         "cd '" + (dir / "project").string() + "' && exec '" + PTLINT_BINARY_DIR +
                             "/ptlint' check . --output-format " + f + " -o '" + (dir / f).string() + "'"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 1) << f << ": " << r->err;
  }
  // `inspect` prints the same names: its text goes to a terminal too.
  for (const char* f : {"text", "json"}) {
    auto r = RunProcess({"/bin/sh", "-c",
                         "cd '" + (dir / "project").string() + "' && exec '" + PTLINT_BINARY_DIR +
                             "/ptlint' inspect . --format " + f + " > '" + (dir / (std::string("inspect.") + f)).string() + "'"});
    ASSERT_TRUE(r.ok());
    EXPECT_LE(r->exit_code, 1) << f << ": " << r->err;
  }
  const char* validator = R"PY(
import json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
def text(f):
    return open(f"{d}/{f}", "rb").read().decode("utf-8")   # strict: invalid UTF-8 raises
def inert(f, s, allowed="\n\t"):
    for ch in s:
        o = ord(ch)
        assert not ((o < 0x20 and ch not in allowed) or o == 0x7f or 0x80 <= o <= 0x9f), f"{f}: control {o:#x}"
report = json.loads(text("json"))
diags = report["diagnostics"]
assert len(diags) >= 1
n = len(diags)
path = diags[0]["location"]["path"]
assert path == "bad\nname\x1b[2J\\xFF.pt", repr(path)      # JSON escapes controls itself
assert any("\x00" in x["message"] and "\x1b" in x["message"] for x in diags), "global name lost"
sarif = json.loads(text("sarif"))
results = sarif["runs"][0]["results"]
assert len(results) == n
uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
assert uri == "bad%0Aname%1B%5B2J%FF.pt", uri
concise = text("concise")
inert("concise", concise)
lines = concise.splitlines()
assert len(lines) == n + 1, lines                          # one line a finding, then the summary
assert all(l.startswith("bad\\x0Aname\\x1B[2J\\xFF.pt: PTL") for l in lines[:n]), lines
assert "os\\x00evil\\x1B[31m\\u009B\u00e9" in concise, concise
full = text("full")
inert("full", full)
for l in full.splitlines():                                 # a line at column 0 starts a finding
    assert l == "" or l.startswith((" ", "\t", "bad\\x0Aname", "Found ")), repr(l)
github = text("github")
inert("github", github)
glines = github.splitlines()
assert len(glines) == n, glines
for l in glines:
    assert l.startswith(("::error file=", "::warning file=", "::notice file=")), l
    props = l.split("::")[1]
    assert props.count("file=bad%0Aname\\x1B[2J\\xFF.pt") == 1, props
root = ET.fromstring(text("junit").encode("utf-8"))
cases = root.findall(".//testcase")
assert len(cases) == n
assert cases[0].get("file") == "bad\nname\\x1B[2J\\xFF.pt", repr(cases[0].get("file"))
inert("junit", text("junit"))
inspect = text("inspect.text")
inert("inspect", inspect)
assert inspect.startswith("bad\\x0Aname\\x1B[2J\\xFF.pt\n"), inspect
assert "os\\x00evil\\x1B[31m" in inspect, inspect
json.loads(text("inspect.json"))
print("ok", n)
)PY";
  auto v = RunProcess({PTLINT_PYTHON, "-c", validator, dir.string()});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->exit_code, 0) << v->out << v->err;
}

}  // namespace
}  // namespace ptlint
