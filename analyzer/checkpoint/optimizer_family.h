// Which torch.optim class saved an `optimizer.state_dict()`, told from its
// per-parameter state keys (`momentum_buffer`, `exp_avg`/`exp_avg_sq`,
// `square_avg`, `sum`, ...) and its param_group hyperparameter keys
// (`betas`+`amsgrad`, `momentum`+`dampening`, `rho`, ...). The one classifier:
// the object interpreter labels OptimizerInfo::family with it (what `ptlint
// inspect` shows) and the optimizer rules (PTL402/403) read the same answer.
//
// Checked against real torch 1.13 states of every torch.optim optimizer,
// stepped and never stepped (optimizer_family_test.cc). What the keys cannot
// tell stays a family of several classes ("Adam/AdamW": same keys) or unknown
// (a never-stepped RAdam / Adamax / SparseAdam has only `betas`-style group
// keys that other versions share).
#ifndef PTLINT_ANALYZER_CHECKPOINT_OPTIMIZER_FAMILY_H_
#define PTLINT_ANALYZER_CHECKPOINT_OPTIMIZER_FAMILY_H_

#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"

namespace ptlint {

// The optimizer family a saved state reveals: "SGD", "SGD (momentum)",
// "Adam/AdamW", "Adam/AdamW (amsgrad)", "RAdam", "NAdam", "Adamax",
// "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop", "SparseAdam", "LBFGS";
// "" when the keys fit none (a custom optimizer) or tell too little.
struct SavedOptimizerFamily {
  std::string family;
  std::vector<std::string> state_evidence;  // per-parameter state keys that tell
  std::vector<std::string> group_evidence;  // param_group keys that tell
};
SavedOptimizerFamily ClassifySavedOptimizer(const OptimizerInfo& saved);

// "Adam" from "torch.optim.Adam" / "torch.optim.adam.Adam".
std::string OptimizerShortName(const std::string& qualified);
// The family a torch.optim class saves ("AdamW" -> "Adam/AdamW"); "" when
// ptlint does not know the class.
std::string FamilyOfOptimizerClass(const std::string& short_name);
// "SGD" from "SGD (momentum)".
std::string OptimizerBaseFamily(const std::string& family);
// The same optimizer, variants aside ("SGD" and "SGD (momentum)").
bool SameOptimizerFamily(const std::string& a, const std::string& b);

// "['optimizer']['state'][0]['exp_avg']" -> "exp_avg".
std::string StateKeyOfTensor(const std::string& tensor_name);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_OPTIMIZER_FAMILY_H_
