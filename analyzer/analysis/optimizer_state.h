// OptimizerState: what the optimizer rules (PTL401-403) need to compare a
// saved `optimizer.state_dict()` with the code that will load it.
//
//  - what torch 1.13 does when another class loads it (measured: the
//    KeyError at load_state_dict() or at step()); which class saved it is
//    analyzer/checkpoint/optimizer_family.h, shared with `ptlint inspect`;
//  - the model's trainable parameters in `model.parameters()` order, from the
//    prediction of the model's class or, failing that, the checkpoint's own
//    model state dict;
//  - which optimizer state each `opt.load_state_dict(...)` call receives and
//    the `torch.optim.X(...)` construction behind `opt`;
//  - the RuntimeError step() raises when a state tensor's shape is not its
//    parameter's.
#ifndef PTLINT_ANALYZER_ANALYSIS_OPTIMIZER_STATE_H_
#define PTLINT_ANALYZER_ANALYSIS_OPTIMIZER_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/checkpoint/checkpoint.h"
#include "analyzer/checkpoint/optimizer_family.h"
#include "analyzer/python/call_sites.h"
#include "analyzer/python/module_index.h"
#include "analyzer/python/state_dict_prediction.h"

namespace ptlint {

// What torch 1.13 does when `code_class` loads a non-empty state saved by
// `saved_family` and steps (measured with real torch; see optimizer_state.cc).
struct KindOutcome {
  std::string stage;  // "load_state_dict", "step", or "" (no error)
  std::string error;  // "KeyError: 'momentum'"
};
KindOutcome Torch113KindOutcome(const std::string& code_class, const std::string& saved_family);

// One trainable parameter of the model, in `model.parameters()` order.
struct ModelParameter {
  std::string key;                 // "fc.weight"
  std::vector<int64_t> shape;      // -1 for a dimension that is not known
  bool rank_known = false;
  SourceLocation location;         // where the source registers it (prediction only)
  int64_t offset = -1;             // byte offset of the tensor (checkpoint only)
};

struct ModelParameters {
  std::vector<ModelParameter> params;
  bool predicted = false;          // from the source (true) or the checkpoint's state dict
  std::string from;                // "the prediction of models.Net", "the checkpoint's own model
                                   // state dict (['model_state_dict'])"
  std::string class_name;          // qualified class, when predicted
  size_t buffers_skipped = 0;      // checkpoint: tensors that look like buffers
};

// The parameters of a prediction; nullopt (with the reason) when their number
// is not known exactly (patterns, optional keys, open subtrees).
std::optional<ModelParameters> PredictedParameters(const ExpectedStateDict& expected, std::string* why = nullptr);
// The parameters of the checkpoint's own model state dict: its floating-point
// tensors minus the BatchNorm running statistics.
std::optional<ModelParameters> CheckpointParameters(const Checkpoint& checkpoint);

// One optimizer state of a checkpoint that the code loads.
struct OptimizerUse {
  const OptimizerInfo* saved = nullptr;
  const CallSite* load = nullptr;          // opt.load_state_dict(...)
  const CallSite* construction = nullptr;  // torch.optim.X(...) bound to `opt`, if visible
};
// `optimizer_sites`: indices into `call_sites` of the `opt.load_state_dict`
// calls that receive this checkpoint (AnalyzedCheckpoint::optimizer_sites).
std::vector<OptimizerUse> OptimizerUses(const std::vector<CallSite>& call_sites, const std::vector<int>& optimizer_sites,
                                        const Checkpoint& checkpoint);

// The model whose parameters the optimizer holds: the class the construction's
// `.parameters()` come from, else the checkpoint's binding, else the
// checkpoint's own model state dict. `index`: the project's classes, null
// when there is no source; `expected`: the prediction for the checkpoint's
// bound class, if any.
std::optional<ModelParameters> ModelParametersFor(const ModuleIndex* index, const ExpectedStateDict* expected,
                                                  const Checkpoint& checkpoint, const CallSite* construction);

// The parameters each group of the construction holds, in order, when the
// grouping is statically known (`model.parameters()`, or `{"params":
// model.sub.parameters()}` dicts); nullopt otherwise.
std::optional<std::vector<std::vector<const ModelParameter*>>> ConstructionGroups(const ModelParameters& model,
                                                                                  const CallSite* construction);

// The error `step()` raises when a state tensor of shape `state` meets a
// gradient / parameter of shape `param` (torch 1.13, single-tensor CPU path):
// "RuntimeError: The size of tensor a (4) must match the size of tensor b (5)
// at non-singleton dimension 0" or "RuntimeError: output with shape [1, 8]
// doesn't match the broadcast shape [4, 8]". Rprop names the parameter first.
std::string StepShapeError(const std::vector<int64_t>& state, const std::vector<int64_t>& param,
                           bool param_is_a = false);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_ANALYSIS_OPTIMIZER_STATE_H_
