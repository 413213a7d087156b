// Renderers for `ptlint check`: full, concise, json, sarif, github, junit.
// They only format diagnostics (rules/diagnostic.h); nothing here decides
// what is wrong. Machine formats are deterministic: no timestamps, no
// absolute paths, input already sorted by DiagnosticLess.
#ifndef PTLINT_RENDER_REPORT_FORMATS_H_
#define PTLINT_RENDER_REPORT_FORMATS_H_

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "rules/core/diagnostic.h"

namespace ptlint {

enum class OutputFormat { kFull, kConcise, kJson, kSarif, kGithub, kJunit };
std::optional<OutputFormat> ParseOutputFormat(std::string_view text);

inline constexpr const char* kCheckSchema = "ptlint.check/1";

// What the JSON report says about each checkpoint besides its findings:
// its layout and which class it was bound to, how, and with what score.
struct CheckpointReport {
  std::string path;
  std::string format;
  std::string layout;
  std::string binding_class;       // empty when unbound
  std::string binding_how;         // "explicit", "call-site", "pickled-module", "structure", "ambiguous", "none"
  std::string binding_factory;     // bound through `model = f(...)`: f
  double binding_score = 0;
  std::vector<std::string> candidates;  // ambiguous bindings
  std::string binding_site;        // "train.py:14": the load_state_dict call that bound it
  // Drift is reported only when the construction is known; when it is not,
  // or the file is unbound, `binding_note` says why ptlint stayed silent.
  bool construction_known = true;
  bool keys_followed = true;       // false: the load rewrites keys in code ptlint does not follow
  std::string binding_note;
};

struct ReportSummary {
  size_t files_checked = 0;        // checkpoints + sources
  bool statistics = false;         // --statistics: counts per code at the end (text formats)
  bool explain = false;            // --explain: each checkpoint's binding and why (text formats)
  std::vector<CheckpointReport> checkpoints;  // json, and text with --explain
};

void RenderReport(OutputFormat format, const std::vector<Diagnostic>& diagnostics,
                  const ReportSummary& summary, std::ostream& out);

// Stable across runs and line moves: hash of rule, checkpoint, path and message.
std::string DiagnosticFingerprint(const Diagnostic& d);

}  // namespace ptlint

#endif  // PTLINT_RENDER_REPORT_FORMATS_H_
