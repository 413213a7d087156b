// Rule: one check, in its own file, with its documentation beside it
// (rules/<code>_<name>.md). The documentation is the single source for
// `ptlint rule CODE`, SARIF rule help and LSP hovers (rule_docs.h).
#ifndef PTLINT_RULES_CORE_RULE_H_
#define PTLINT_RULES_CORE_RULE_H_

#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/analysis/global_safety.h"
#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/project_analysis.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "rules/core/diagnostic.h"

namespace ptlint {

struct RuleInfo {
  const char* code;          // "PTL503"
  const char* name;          // "corrupt-or-not-a-checkpoint"
  Severity default_severity;
  const char* summary;       // one line, used in listings and SARIF shortDescription
};

// What a rule sees when it checks one checkpoint.
struct CheckpointContext {
  const Checkpoint& checkpoint;
  std::string display_path;       // the checkpoint's path as reported
  TorchVersion torch_version = TorchVersion::kCurrent;
  bool strict = false;            // --strict: unknown globals are errors
  const SafetyContext& safety;
  const ProjectAnalysis& project;         // the source model and call sites
  const AnalyzedCheckpoint& analyzed;     // binding and prediction for this checkpoint
  const StateDictDiff* diff = nullptr;    // when bound and predicted: computed once for all PTL2xx
  const PickleSafetyReport* safety_report = nullptr;  // computed once for all PTL6xx
};

// What a rule sees when it checks the source alone (PTL7xx).
struct ProjectContext {
  const ProjectAnalysis& project;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual const RuleInfo& info() const = 0;
  // Appends this rule's findings for one checkpoint.
  virtual void CheckCheckpoint(const CheckpointContext& context,
                               std::vector<Diagnostic>& out) const {}
  // Appends this rule's findings about the source alone.
  virtual void CheckProject(const ProjectContext& context, std::vector<Diagnostic>& out) const {}
};

}  // namespace ptlint

#endif  // PTLINT_RULES_CORE_RULE_H_
