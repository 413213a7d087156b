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
  const std::string base = std::string(PTLINT_DOCS_URL) + "rules/";
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
