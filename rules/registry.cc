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

std::string ToolDocumentationUrl() { return std::string(PTLINT_DOCS_URL) + "README.md"; }

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

namespace {

// Every selector that selects at least one rule: "PTL", each code's prefixes
// and the codes themselves.
const std::vector<std::string>& ValidSelectors() {
  static const std::vector<std::string> selectors = [] {
    std::vector<std::string> all;
    for (const Rule* r : AllRules()) {
      std::string code = r->info().code;
      for (size_t n = 3; n <= code.size(); ++n) all.push_back(code.substr(0, n));
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }();
  return selectors;
}

// Optimal string alignment distance (Levenshtein plus adjacent
// transpositions: "PLT201" is one step from "PTL201").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The digits of a selector as a number (for ties: PTL999 is nearer PTL702
// than PTL101); -1 without digits.
long Digits(std::string_view s) {
  long n = -1;
  for (char c : s) {
    if (c >= '0' && c <= '9') n = (n < 0 ? 0 : n * 10) + (c - '0');
  }
  return n;
}

}  // namespace

std::string ClosestRuleSelector(std::string_view selector) {
  // Only the first 32 characters count: a selector is a few letters, and a
  // pasted paragraph must not cost a quadratic table.
  std::string want = Upper(selector.substr(0, 32));
  std::string best;
  size_t best_distance = 0, best_length_gap = 0;
  long best_number_gap = 0;
  for (const std::string& candidate : ValidSelectors()) {
    size_t distance = EditDistance(want, candidate);
    size_t length_gap = want.size() > candidate.size() ? want.size() - candidate.size()
                                                       : candidate.size() - want.size();
    long a = Digits(want), b = Digits(candidate);
    long number_gap = a < 0 || b < 0 ? 0 : (a > b ? a - b : b - a);
    if (best.empty() || distance < best_distance ||
        (distance == best_distance &&
         (length_gap < best_length_gap ||
          (length_gap == best_length_gap && number_gap < best_number_gap)))) {
      best = candidate;
      best_distance = distance;
      best_length_gap = length_gap;
      best_number_gap = number_gap;
    }
  }
  return best;
}

std::string RuleSelectorError(std::string_view selector) {
  std::string want = Upper(selector);
  if (want == "ALL") return "";
  const std::vector<std::string>& valid = ValidSelectors();
  if (std::binary_search(valid.begin(), valid.end(), want)) return "";
  std::string shown;
  for (char c : selector.substr(0, 64)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  return "unknown rule code or prefix `" + shown + "` (closest: `" + ClosestRuleSelector(selector) +
         "`; `ptlint rule --all` lists them)";
}

}  // namespace ptlint
