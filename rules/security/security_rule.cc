#include "rules/security/security_rule.h"

#include "rules/core/rule_util.h"

namespace ptlint {

void ReportSafetyFindings(const Rule& rule, const CheckpointContext& ctx, std::vector<Diagnostic>& out) {
  if (ctx.safety_report == nullptr) return;
  for (const SafetyFinding& f : ctx.safety_report->findings) {
    if (f.rule != rule.info().code) continue;
    Diagnostic d = CheckpointDiagnostic(rule.info(), ctx);
    d.severity = f.severity;
    d.message = f.message;
    if (!f.record.empty() || f.pickle >= 0) {
      d.message += " (pickle " + std::to_string(f.pickle) + (f.record.empty() ? "" : " `" + f.record + "`");
      if (f.offset >= 0) d.message += ", byte " + std::to_string(f.offset);
      d.message += ")";
    }
    // The why often repeats the message's first clause; add only what is new.
    std::string why = f.why;
    std::string first = why.substr(0, why.find(';'));
    if (!first.empty() && f.message.find(first) != std::string::npos) {
      size_t semi = why.find(';');
      why = semi == std::string::npos ? "" : why.substr(semi + 2);
    }
    if (!why.empty()) d.message += ": " + why;
    if (!f.call_chain.empty()) {
      d.message += "; used by ";
      for (size_t i = 0; i < f.call_chain.size(); ++i) d.message += (i ? " -> " : "") + f.call_chain[i];
    }
    if (!f.object_path.empty()) d.message += "; sits at " + f.object_path;
    d.fix = f.hint;
    d.byte_offset = f.offset;
    if (!f.file.empty() && DisplayPath(f.file) != ctx.display_path) {
      d.related.push_back({SourceRange{DisplayPath(f.file), 0, 0, 0, 0}, "the pickle is in this file"});
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
