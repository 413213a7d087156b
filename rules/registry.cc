#include "rules/registry.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "rules/references/references_module.h"
#include "rules/rule_docs.h"
#include "rules/drift/drift_module.h"
#include "rules/loading/loading_module.h"
#include "rules/optimizer/optimizer_module.h"
#include "rules/format/format_module.h"
#include "rules/security/security_module.h"
#include "rules/saving/saving_module.h"

namespace ptlint {

const std::vector<const Rule*>& AllRules() {
  static const std::vector<const Rule*> rules = [] {
    std::vector<const Rule*> all;
    for (auto module : {ReferenceRules, DriftRules, LoadingRules, OptimizerRules, FormatRules, SecurityRules, SavingRules}) {
      for (const Rule* r : module()) all.push_back(r);
    }
    std::sort(all.begin(), all.end(), [](const Rule* a, const Rule* b) {
      return std::string_view(a->info().code) < std::string_view(b->info().code);
    });
    return all;
  }();
  return rules;
}

namespace {
std::string Upper(std::string_view s) {
  std::string u(s);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  return u;
}
}  // namespace

const Rule* FindRule(std::string_view code) {
  std::string want = Upper(code);
  for (const Rule* r : AllRules()) {
    if (want == r->info().code) return r;
  }
  return nullptr;
}

std::string_view RuleDocumentation(std::string_view code) {
  std::string want = Upper(code);
  for (unsigned i = 0; i < kRuleDocCount; ++i) {
    if (kRuleDocs[i].code == want) return kRuleDocs[i].text;
  }
  return {};
}

std::string RuleDocumentationUrl(std::string_view code) {
  // The page is the rule's own documentation file, rules/<module>/<code>_<name>.md
  // (the registry test checks every rule has one); unknown codes get the
  // rules folder.
  std::string want = Upper(code);
  for (unsigned i = 0; i < kRuleDocCount; ++i) {
    if (kRuleDocs[i].code == want) return std::string(PTLINT_DOCS_URL) + std::string(kRuleDocs[i].path);
  }
  return std::string(PTLINT_DOCS_URL) + "rules/";
}

std::vector<std::string_view> DocumentedRuleCodes() {
  std::vector<std::string_view> codes;
  for (unsigned i = 0; i < kRuleDocCount; ++i) codes.push_back(kRuleDocs[i].code);
  std::sort(codes.begin(), codes.end());
  return codes;
}

bool RuleSelected(std::string_view code, const std::vector<std::string>& select,
                  const std::vector<std::string>& ignore) {
  // The longest matching prefix decides, as in ruff: `--select PTL --ignore PTL6`
  // drops PTL6xx, `--select PTL603 --ignore PTL6` keeps PTL603.
  auto best = [&](const std::vector<std::string>& list) {
    size_t len = 0;
    bool any = false;
    for (const std::string& p : list) {
      std::string up = Upper(p);
      if (up == "ALL") up = "";
      if (code.substr(0, up.size()) == up && (!any || up.size() >= len)) {
        len = up.size();
        any = true;
      }
    }
    return std::pair<bool, size_t>(any, len);
  };
  auto [sel, sel_len] = select.empty() ? std::pair<bool, size_t>(true, 0) : best(select);
  auto [ign, ign_len] = best(ignore);
  if (!sel) return false;
  if (ign && ign_len >= sel_len) return false;
  return true;
}

}  // namespace ptlint
