// One positive and one near-miss negative project per rule (layout in
// tests/rule_cases.h), checked two ways:
//
//  1. Expectations written in the fixture, next to the offending line (as
//     clang-tidy's CHECK-MESSAGES): `# expect: PTL204 <substring of the
//     message>` at the end of a line means that line; on a line of its own it
//     means the next line that is not itself a marker. Several markers may
//     share a line. Findings on a checkpoint (no source line) are expected in
//     the case's expect.txt as `ckpt/model.pt: PTL503 <substring>`. Every
//     finding of the case's rule must match a marker at its file and line,
//     and every marker must match a finding (one to one), so a finding that
//     moves, appears or disappears fails the test.
//  2. One snapshot per case (snapshot.txt): `ptlint check . --select <CODE>`
//     in full format, plus what the JSON report says about each checkpoint
//     (layout, binding). The other formats are tested once, on a shared set
//     of cases, by output_formats_test.
//
// A case whose name starts with "negative" must give no finding for its code
// (and has no markers); any other case must give at least one. Regenerate
// snapshots after an intended change with PTLINT_UPDATE_GOLDEN=1 and review
// the diff; markers are written by hand.
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/rule_cases.h"

namespace ptlint::rule_cases {
namespace {

struct Expectation {
  std::string path;  // relative to the project, '/' separated
  int line = 0;      // 0: a checkpoint finding (expect.txt)
  std::string code;
  std::string text;  // a substring of the message
  std::string origin;  // where the marker is written, for messages
};

struct Finding {
  std::string path;
  int line = 0;
  std::string code;
  std::string message;
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "PTL204 some text" -> code, text.
bool SplitCodeText(const std::string& body, std::string* code, std::string* text) {
  std::string t = Trim(body);
  size_t sp = t.find(' ');
  *code = t.substr(0, sp);
  *text = sp == std::string::npos ? "" : Trim(t.substr(sp + 1));
  return code->size() == 6 && code->rfind("PTL", 0) == 0 && !text->empty();
}

constexpr const char* kMarker = "# expect:";

// The markers of one source file.
void ParseMarkers(const fs::path& file, const std::string& rel, std::vector<Expectation>* out,
                  std::vector<std::string>* errors) {
  std::istringstream in(ReadFile(file));
  std::string line;
  std::vector<Expectation> pending;  // from marker-only lines, for the next line
  for (int n = 1; std::getline(in, line); ++n) {
    size_t first = line.find(kMarker);
    std::vector<Expectation> here;
    for (size_t at = first; at != std::string::npos;) {
      size_t next = line.find(kMarker, at + 1);
      std::string body = line.substr(at + std::string(kMarker).size(),
                                     next == std::string::npos ? std::string::npos
                                                               : next - at - std::string(kMarker).size());
      Expectation e{rel, n, "", "", rel + ":" + std::to_string(n)};
      if (SplitCodeText(body, &e.code, &e.text)) {
        here.push_back(e);
      } else {
        errors->push_back(e.origin + ": malformed marker `" + Trim(body) + "` (want `# expect: PTL123 text`)");
      }
      at = next;
    }
    bool marker_only = first != std::string::npos && Trim(line.substr(0, first)).empty();
    if (marker_only) {
      pending.insert(pending.end(), here.begin(), here.end());
      continue;
    }
    for (Expectation& e : pending) e.line = n;
    out->insert(out->end(), pending.begin(), pending.end());
    pending.clear();
    out->insert(out->end(), here.begin(), here.end());
  }
  for (const Expectation& e : pending) errors->push_back(e.origin + ": marker before the end of the file");
}

std::vector<Expectation> ReadExpectations(const RuleCase& c, std::vector<std::string>* errors) {
  std::vector<Expectation> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(c.dir / "project")) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::string ext = f.extension().string();
    if (ext == ".py" || ext == ".toml" || ext == ".txt" || ext == ".cfg" || ext == ".ini") {
      ParseMarkers(f, fs::relative(f, c.dir / "project").generic_string(), &out, errors);
    }
  }
  // expect.txt: `PATH: CODE text` per line, for findings on a checkpoint.
  std::istringstream in(fs::exists(c.dir / "expect.txt") ? ReadFile(c.dir / "expect.txt") : "");
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t colon = t.find(": ");
    Expectation e{"", 0, "", "", "expect.txt:" + std::to_string(n)};
    if (colon == std::string::npos || !SplitCodeText(t.substr(colon + 2), &e.code, &e.text)) {
      errors->push_back(e.origin + ": malformed line `" + t + "` (want `PATH: PTL123 text`)");
      continue;
    }
    e.path = t.substr(0, colon);
    out.push_back(e);
  }
  return out;
}

bool Matches(const Expectation& e, const Finding& f) {
  return e.path == f.path && e.line == f.line && e.code == f.code &&
         f.message.find(e.text) != std::string::npos;
}

// One to one: a bipartite matching of findings to expectations (Kuhn's
// augmenting paths; a case has a handful of each).
std::vector<int> MatchOneToOne(const std::vector<Finding>& findings, const std::vector<Expectation>& expected) {
  std::vector<int> owner(expected.size(), -1);  // expectation -> finding
  std::function<bool(size_t, std::vector<bool>&)> augment = [&](size_t f, std::vector<bool>& seen) {
    for (size_t e = 0; e < expected.size(); ++e) {
      if (seen[e] || !Matches(expected[e], findings[f])) continue;
      seen[e] = true;
      if (owner[e] < 0 || augment(static_cast<size_t>(owner[e]), seen)) {
        owner[e] = static_cast<int>(f);
        return true;
      }
    }
    return false;
  };
  for (size_t f = 0; f < findings.size(); ++f) {
    std::vector<bool> seen(expected.size(), false);
    augment(f, seen);
  }
  return owner;
}

std::string Describe(const Finding& f) {
  return f.path + (f.line > 0 ? ":" + std::to_string(f.line) : "") + ": " + f.code + " " + f.message;
}

// What the JSON report says about each checkpoint (not in the text output).
std::string CheckpointLines(const nlohmann::json& doc) {
  std::string out;
  for (const auto& c : doc.value("checkpoints", nlohmann::json::array())) {
    const auto& b = c.value("binding", nlohmann::json::object());
    out += "checkpoint " + c.value("path", "") + ": " + c.value("format", "") + ", " + c.value("layout", "");
    if (b.contains("class") && b["class"].is_string()) {
      out += ", bound to " + b["class"].get<std::string>() + " by " + b.value("how", "");
      if (b.contains("factory")) out += " through " + b["factory"].get<std::string>();
      out += " (score " + b.value("score", nlohmann::json(0)).dump() + ")";
      if (!b.value("keys_followed", true)) out += ", keys changed by code ptlint does not follow";
    } else {
      out += ", unbound (" + b.value("how", "") + ")";
    }
    for (const auto& cand : b.value("candidates", nlohmann::json::array())) out += " candidate " + cand.dump();
    out += "\n";
  }
  return out;
}

class RuleCaseTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleCaseTest, FindingsMatchMarkersAndSnapshot) {
  const RuleCase& c = GetParam();
  fs::path work = Prepare(c);

  auto json = CheckIn(work, "--select " + c.code + " --output-format json");
  ASSERT_TRUE(json.exit_code == 0 || json.exit_code == 1) << json.err;
  auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  std::vector<Finding> findings;
  for (const auto& d : doc["diagnostics"]) {
    if (d["code"] != c.code) continue;
    findings.push_back({d["location"]["path"].get<std::string>(), d["location"]["line"].get<int>(),
                        d["code"].get<std::string>(), d["message"].get<std::string>()});
  }

  std::vector<std::string> errors;
  std::vector<Expectation> expected = ReadExpectations(c, &errors);
  for (const std::string& e : errors) ADD_FAILURE() << c.id() << ": " << e;
  if (c.negative()) {
    EXPECT_TRUE(findings.empty()) << "near-miss case must be clean:\n" << json.out;
    EXPECT_TRUE(expected.empty()) << "a negative case has no `# expect:` markers";
    EXPECT_EQ(json.exit_code, 0);
  } else {
    EXPECT_FALSE(findings.empty()) << "positive case must be caught:\n" << json.out;
    EXPECT_FALSE(expected.empty()) << "a positive case marks its findings with `# expect:` (or expect.txt)";
    EXPECT_EQ(json.exit_code, 1);
  }

  std::vector<int> owner = MatchOneToOne(findings, expected);
  std::vector<bool> matched(findings.size(), false);
  for (size_t e = 0; e < expected.size(); ++e) {
    if (owner[e] >= 0) {
      matched[static_cast<size_t>(owner[e])] = true;
    } else {
      ADD_FAILURE() << c.id() << ": " << expected[e].origin << ": no finding matches `# expect: " << expected[e].code
                    << " " << expected[e].text << "` at " << expected[e].path
                    << (expected[e].line > 0 ? ":" + std::to_string(expected[e].line) : "");
    }
  }
  for (size_t f = 0; f < findings.size(); ++f) {
    if (!matched[f]) {
      ADD_FAILURE() << c.id() << ": finding without a marker (add `# expect: " << findings[f].code
                    << " <part of the message>` on its line, or a line in expect.txt for a checkpoint):\n  "
                    << Describe(findings[f]);
    }
  }

  std::string snapshot = CheckIn(work, "--select " + c.code + " --output-format full").out;
  ExpectGolden(c.dir / "snapshot.txt", NormalizeVersion(snapshot + CheckpointLines(doc)));
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

// The marker parser itself, on a file of its own.
TEST(RuleCaseMarkers, TrailingLeadingAndSeveral) {
  fs::path dir = fs::path(PTLINT_BINARY_DIR) / "rule_cases_markers";
  fs::create_directories(dir);
  std::ofstream(dir / "m.py") << "a = 1  # expect: PTL101 one\n"
                                 "# expect: PTL102 two\n"
                                 "    # expect: PTL103 three # expect: PTL104 four\n"
                                 "b = 2\n"
                                 "c = 3  # noqa # expect: PTL105 five # expect: PTL105 six\n"
                                 "# expect: nonsense\n";
  std::vector<Expectation> out;
  std::vector<std::string> errors;
  ParseMarkers(dir / "m.py", "m.py", &out, &errors);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].line, 1);
  EXPECT_EQ(out[0].text, "one");
  for (int i : {1, 2, 3}) EXPECT_EQ(out[i].line, 4) << out[i].code;
  EXPECT_EQ(out[3].code, "PTL104");
  EXPECT_EQ(out[3].text, "four");
  EXPECT_EQ(out[4].line, 5);
  EXPECT_EQ(out[5].text, "six");
  ASSERT_EQ(errors.size(), 1u);  // the malformed one
  std::vector<Finding> findings = {{"m.py", 5, "PTL105", "five and six"}, {"m.py", 5, "PTL105", "six"}};
  std::vector<int> owner = MatchOneToOne(findings, out);
  EXPECT_EQ(owner[4], 0);  // "five" only matches the first; "six" then takes the second
  EXPECT_EQ(owner[5], 1);
}

}  // namespace
}  // namespace ptlint::rule_cases
