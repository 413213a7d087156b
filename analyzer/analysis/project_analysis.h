// ProjectAnalysis: the models the rules match — the project's source index,
// its checkpoint call sites, every checkpoint read statically, and which
// class each checkpoint belongs to (the binding) with the state dict that
// class predicts.
//
// Binding, strongest first: explicit (`--bind` / `[tool.ptlint.bind]`), a
// call site (`torch.load("ckpt/x.pt")` reaching `X(...).load_state_dict`),
// a whole pickled module naming its own class, and structure (the class whose
// predicted keys best explain the checkpoint, with a margin; ties are
// reported as ambiguous, never guessed).
#ifndef PTLINT_ANALYZER_ANALYSIS_PROJECT_ANALYSIS_H_
#define PTLINT_ANALYZER_ANALYSIS_PROJECT_ANALYSIS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/python/call_sites.h"
#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/analysis/global_safety.h"
#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "analyzer/python/module_index.h"
#include "analyzer/config/project_config.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

struct CheckpointBinding {
  std::string cls;                 // qualified class, empty when unbound
  std::string factory;             // call-site binding through `model = f(...)`: f, qualified
  std::string how;                 // "explicit", "call-site", "pickled-module", "structure",
                                   // "ambiguous", "none"
  double score = 0;                // structure: share of keys explained; others 1
  std::vector<std::string> candidates;  // ambiguous: the tied classes
  int call_site = -1;              // the load_state_dict site that bound it
  std::map<std::string, nlohmann::json> ctor_args;  // literal constructor (or factory) args, when known
  SourcePosition class_position;   // where the class is defined
  std::string class_path;
  // The contract: drift is reported only when the construction is known
  // (literal call-site or builder arguments, the checkpoint's own config,
  // defaults where nothing else builds the class). Otherwise the diff is
  // kept silent and `note` says why (JSON, --explain).
  bool construction_known = true;
  // False when the bound load changes the keys in code ptlint does not follow
  // (a loop that pops and re-inserts keys, `del sd[k]`): drift is not judged.
  bool keys_followed = true;
  std::string note;                // "unbound: best candidate explains 41 % of keys", ...
};

// A StateDictDiff points into the `expected` and `checkpoint` beside it. A
// move keeps those pointers valid (the vectors' buffers move with them); a
// copy would leave them pointing into the original, so a copy starts
// without a diff until LinkProject computes it again.
struct LinkedStateDictDiff {
  std::optional<StateDictDiff> value;
  LinkedStateDictDiff() = default;
  LinkedStateDictDiff(const LinkedStateDictDiff&) {}
  LinkedStateDictDiff& operator=(const LinkedStateDictDiff&) {
    value.reset();
    return *this;
  }
  LinkedStateDictDiff(LinkedStateDictDiff&&) = default;
  LinkedStateDictDiff& operator=(LinkedStateDictDiff&&) = default;
};

struct AnalyzedCheckpoint {
  Checkpoint checkpoint;
  std::string display_path;        // relative to the working directory
  CheckpointBinding binding;
  std::optional<ExpectedStateDict> expected;  // prediction for the bound class
  std::string prediction_error;    // why there is no prediction
  std::vector<int> load_sites;     // torch.load call sites whose path matches this file
  std::vector<int> state_dict_sites;  // load_state_dict sites fed from those loads
  // optimizer.load_state_dict sites fed from those loads (the receiver is a
  // torch.optim construction, or what is passed is an optimizer state of this
  // checkpoint); they are not in state_dict_sites.
  std::vector<int> optimizer_sites;
  // Computed once per link, for every consumer (rules, hovers): the bound
  // class's prediction against the file, and what loading it could run.
  LinkedStateDictDiff diff;
  // The file's tensors as the bound load_state_dict receives them, when the
  // load path rewrites keys (CallSite::key_rewrites): `diff` is taken against
  // this and points into it. Null when the keys reach it as saved.
  std::shared_ptr<const Checkpoint> as_loaded;
  // Why `diff` is absent or silent, for every consumer that must not claim
  // more than the rules do (hovers):
  //  - a whole pickled module bound by its own class name: torch.load
  //    restores it as saved, never compares it with today's __init__, so
  //    LinkProject does not diff it;
  //  - the construction is not known: the differences the diff found (what,
  //    and why not reported) were cleared, and the rules stay silent.
  bool restored_whole = false;
  std::string unreported_drift;
  PickleSafetyReport safety;
  // Set when reading or analysing this file failed inside ptlint (an
  // exception such as std::bad_alloc): what failed. The other files are
  // analysed as usual; lint reports this one as PTL604 (not vouched for).
  std::string internal_error;
};

struct AnalysisOptions {
  std::map<std::string, std::string> bind;  // checkpoint path (as given or relative) -> class
  TorchVersion torch_version = TorchVersion::kCurrent;
  std::string torch_version_text;           // as configured ("2.4.1"), for messages
  std::optional<PinnedRequirement> numpy_pin;  // the project's numpy requirement, if any
  SafetyContext safety;
  bool strict = false;
  // `exclude` globs (ruff semantics, relative to `exclude_root`, the config's
  // folder): kept out of both Python and checkpoint discovery. Paths named
  // on the command line are still read unless `force_exclude`.
  std::vector<std::string> exclude;
  std::string exclude_root;
  bool force_exclude = false;
  // The process exits right after this analysis (`ptlint check`): keep what
  // linking built in `ProjectAnalysis::retained` instead of freeing it, and
  // the caller ends with std::_Exit, as compilers skip freeing at exit.
  bool retain_for_exit = false;
};

struct ProjectAnalysis {
  ModuleIndex index;
  std::vector<CallSite> call_sites;
  std::vector<AnalyzedCheckpoint> checkpoints;
  std::vector<std::string> python_files;
  std::vector<Error> source_problems;
  AnalysisOptions options;
  bool has_source = false;
  // What linking built and a run that exits next does not free
  // (AnalysisOptions::retain_for_exit).
  std::vector<std::shared_ptr<void>> retained;

  // Classes the project defines (by any importable name), for PTL101-103 and
  // the security rules' "project-own" allowlist.
  const ClassInfo* FindProjectClass(const std::string& module, const std::string& name) const;
};

// Reads everything under `paths` (sources and checkpoints told apart by content).
std::unique_ptr<ProjectAnalysis> AnalyzeProject(const std::vector<std::string>& paths,
                                                const AnalysisOptions& options);

// Reads one checkpoint (statically; never fails: problems are in the model).
AnalyzedCheckpoint ReadAnalyzedCheckpoint(const std::string& path);

// The safety context of a project: the configured allowlists, and the
// project's own classes trusted (allowlist-first).
SafetyContext ProjectSafetyContext(const ProjectAnalysis& project);

// Recomputes what joins the source and the checkpoints — which load sites
// read which checkpoint, each checkpoint's binding and predicted state dict —
// from `analysis.index`, `analysis.call_sites` and `analysis.checkpoints`.
// AnalyzeProject ends with it; the LSP calls it after updating the index,
// the call sites or a checkpoint.
void LinkProject(ProjectAnalysis& analysis);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_PROJECT_ANALYSIS_H_
