#include "rules/registry.h"

#include <cctype>
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(RuleRegistry, EveryRuleHasDocumentationAndEveryDocARule) {
  std::set<std::string> rule_codes;
  for (const Rule* r : AllRules()) {
    const RuleInfo& info = r->info();
    EXPECT_TRUE(rule_codes.insert(info.code).second) << "duplicate rule " << info.code;
    std::string_view doc = RuleDocumentation(info.code);
    ASSERT_FALSE(doc.empty()) << info.code << " has no rules/" << info.code << "_*.md";
    // The doc names its own code and name in its title, and has the sections
    // `ptlint rule`, SARIF help and LSP hovers show.
    EXPECT_NE(doc.find(std::string("# ") + info.code + " " + info.name), std::string_view::npos)
        << info.code;
    for (const char* section : {"## What it finds", "## Example", "## Fix"}) {
      EXPECT_NE(doc.find(section), std::string_view::npos) << info.code << " lacks " << section;
    }
  }
  for (std::string_view code : DocumentedRuleCodes()) {
    EXPECT_TRUE(rule_codes.count(std::string(code))) << "doc for " << code << " but no rule";
  }
}

// SARIF helpUri and LSP codeDescription link to rules/<module>/<code>_<name>.md:
// each such file exists in the source tree and is named after its rule.
TEST(RuleRegistry, DocumentationUrlsNameRealFiles) {
  std::string readme = ToolDocumentationUrl();
  ASSERT_GE(readme.size(), 9u);
  ASSERT_EQ(readme.substr(readme.size() - 9), "README.md") << readme;
  const std::string base = readme.substr(0, readme.size() - 9) + "rules/";
  for (const Rule* rule : AllRules()) {
    std::string url = RuleDocumentationUrl(rule->info().code);
    ASSERT_EQ(url.rfind(base, 0), 0u) << url;
    std::string file = url.substr(base.size());
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(PTLINT_SOURCE_DIR) / "rules" / file))
        << rule->info().code << ": " << file;
    std::string stem = std::filesystem::path(file).stem().string();
    std::string want = rule->info().code + std::string("_") + rule->info().name;
    for (char& c : want) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(stem, want);
  }
  EXPECT_EQ(RuleDocumentationUrl("PTL999"), base);
}

// SARIF's informationUri: a real page. Without a published URL it is the
// README of the source tree the binary was built from, which must exist.
TEST(RuleRegistry, ToolDocumentationUrlIsReal) {
  std::string url = ToolDocumentationUrl();
  EXPECT_EQ(url.find("invalid"), std::string::npos) << url;
  if (url.rfind("file://", 0) == 0) {
    EXPECT_TRUE(std::filesystem::exists(url.substr(7))) << url;
  } else {
    EXPECT_EQ(url.rfind("https://", 0), 0u) << url;
  }
}

// --select / --ignore entries: codes, prefixes, ALL; anything else is an
// error naming the closest real code or prefix.
TEST(RuleRegistry, RuleSelectorsAreValidatedWithTheClosestCode) {
  for (const char* ok : {"ALL", "all", "PTL", "PTL5", "PTL50", "PTL503", "ptl204"}) {
    EXPECT_EQ(RuleSelectorError(ok), "") << ok;
  }
  for (const char* bad : {"PTL999", "PTL8", "PTL2O1", "PLT201", "E501", "PTL5033", ""}) {
    EXPECT_NE(RuleSelectorError(bad), "") << bad;
  }
  EXPECT_EQ(ClosestRuleSelector("PTL2O1"), "PTL201");
  EXPECT_EQ(ClosestRuleSelector("PLT201"), "PTL201");
  EXPECT_EQ(ClosestRuleSelector("PTL5033"), "PTL503");
  EXPECT_EQ(ClosestRuleSelector("PTL999"), "PTL702");
  EXPECT_EQ(ClosestRuleSelector("ptl8"), "PTL7");
  EXPECT_NE(RuleSelectorError("PTL999").find("`PTL702`"), std::string::npos) << RuleSelectorError("PTL999");
}

TEST(RuleRegistry, FindRuleIsCaseInsensitive) {
  ASSERT_NE(FindRule("ptl503"), nullptr);
  EXPECT_STREQ(FindRule("ptl503")->info().name, "corrupt-or-not-a-checkpoint");
  EXPECT_EQ(FindRule("PTL999"), nullptr);
}

TEST(RuleRegistry, SelectionUsesLongestPrefix) {
  EXPECT_TRUE(RuleSelected("PTL503", {}, {}));
  EXPECT_TRUE(RuleSelected("PTL503", {"PTL5"}, {}));
  EXPECT_FALSE(RuleSelected("PTL601", {"PTL5"}, {}));
  EXPECT_FALSE(RuleSelected("PTL603", {"ALL"}, {"PTL6"}));
  EXPECT_TRUE(RuleSelected("PTL603", {"PTL603"}, {"PTL6"}));
  EXPECT_FALSE(RuleSelected("PTL603", {"PTL6"}, {"PTL603"}));
  EXPECT_TRUE(RuleSelected("PTL503", {"ptl50"}, {}));
}

}  // namespace
}  // namespace ptlint
