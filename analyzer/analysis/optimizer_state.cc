#include "analyzer/analysis/optimizer_state.h"

#include <algorithm>
#include <set>

namespace ptlint {

KindOutcome Torch113KindOutcome(const std::string& code_class, const std::string& saved_family) {
  // Measured with Debian's torch 1.13: an optimizer of class `code` (rows)
  // loads the state_dict() another class (columns) saved after one step(),
  // then steps. "" = both succeed; otherwise the stage and the missing key.
  // SGD's column covers momentum 0 and 0.9; Adam's covers AdamW.
  struct Row {
    const char* code;
    const char* saved;
    const char* stage;
    const char* key;
  };
  static const Row kRows[] = {
      {"SGD", "Adam/AdamW", "step", "momentum"},   {"SGD", "RMSprop", "step", "dampening"},
      {"SGD", "Adagrad", "step", "momentum"},      {"SGD", "Adadelta", "step", "momentum"},
      {"SGD", "Adamax", "step", "momentum"},       {"SGD", "ASGD", "step", "momentum"},
      {"SGD", "Rprop", "step", "weight_decay"},    {"SGD", "NAdam", "step", "momentum"},
      {"SGD", "RAdam", "step", "momentum"},
      {"Adam", "SGD", "load_state_dict", "step"},  {"Adam", "RMSprop", "step", "betas"},
      {"Adam", "Adagrad", "step", "betas"},        {"Adam", "Adadelta", "step", "betas"},
      {"Adam", "Adamax", "step", "exp_avg_sq"},    {"Adam", "ASGD", "step", "betas"},
      {"Adam", "Rprop", "step", "betas"},          {"Adam", "NAdam", "", ""},
      {"Adam", "RAdam", "", ""},
      {"RMSprop", "*", "step", "square_avg"},      {"RMSprop", "Adadelta", "step", "alpha"},
      {"Adagrad", "SGD", "load_state_dict", "step"}, {"Adagrad", "*", "step", "sum"},
      {"Adadelta", "*", "step", "rho"},
      {"Adamax", "SGD", "load_state_dict", "step"}, {"Adamax", "Adam/AdamW", "step", "exp_inf"},
      {"Adamax", "NAdam", "step", "exp_inf"},      {"Adamax", "RAdam", "step", "exp_inf"},
      {"Adamax", "*", "step", "betas"},
      {"ASGD", "SGD", "load_state_dict", "step"},  {"ASGD", "*", "load_state_dict", "eta"},
      {"Rprop", "*", "step", "etas"},
      {"NAdam", "SGD", "load_state_dict", "step"}, {"NAdam", "*", "load_state_dict", "mu_product"},
      {"RAdam", "SGD", "load_state_dict", "step"}, {"RAdam", "Adam/AdamW", "", ""},
      {"RAdam", "NAdam", "", ""},                  {"RAdam", "Adamax", "step", "exp_avg_sq"},
      {"RAdam", "*", "step", "betas"},
  };
  std::string code = code_class == "AdamW" ? "Adam" : code_class;
  std::string saved = OptimizerBaseFamily(saved_family);
  static const std::set<std::string> kMeasured = {"SGD", "Adam/AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                                  "ASGD", "Rprop", "NAdam", "RAdam"};
  KindOutcome out;
  if (!kMeasured.count(saved) || OptimizerBaseFamily(FamilyOfOptimizerClass(code_class)) == saved) return out;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Row& r : kRows) {
      if (code != r.code) continue;
      if (pass == 0 ? saved != r.saved : std::string(r.saved) != "*") continue;
      out.stage = r.stage;
      if (*r.key) out.error = std::string("KeyError: '") + r.key + "'";
      return out;
    }
  }
  return out;
}

std::optional<ModelParameters> PredictedParameters(const ExpectedStateDict& expected, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<ModelParameters> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (!expected.open.empty()) return fail("part of " + expected.class_name + " is not predicted");
  ModelParameters out;
  out.predicted = true;
  out.class_name = expected.class_name;
  out.from = "the prediction of " + expected.class_name;
  for (const PredictedKey& k : expected.keys) {
    if (k.kind != KeyKind::kParameter) continue;
    if (k.is_pattern || k.optional) return fail("the parameters of " + expected.class_name + " are not known exactly");
    ModelParameter p;
    p.key = k.key;
    p.rank_known = k.shape.rank_known;
    for (const PredictedDim& d : k.shape.dims) p.shape.push_back(d.value.value_or(-1));
    p.location = k.location;
    out.params.push_back(std::move(p));
  }
  return out;
}

std::optional<ModelParameters> CheckpointParameters(const Checkpoint& cp) {
  std::vector<const TensorInfo*> tensors = StateDictTensors(cp);
  if (tensors.empty() || cp.layout == Layout::kOptimizerState) return std::nullopt;
  ModelParameters out;
  out.from = "the checkpoint's own model state dict" +
             (cp.state_dict_path.empty() ? std::string() : " (" + cp.state_dict_path + ")");
  for (const TensorInfo* t : tensors) {
    std::string last = t->name.substr(t->name.rfind('.') == std::string::npos ? 0 : t->name.rfind('.') + 1);
    bool floating = t->dtype.find("float") != std::string::npos || t->dtype.find("complex") != std::string::npos ||
                    t->dtype == "half" || t->dtype == "double";
    if (!floating || last == "running_mean" || last == "running_var" || last == "num_batches_tracked") {
      ++out.buffers_skipped;
      continue;
    }
    ModelParameter p;
    p.key = t->name;
    p.shape = t->shape;
    p.rank_known = true;
    p.offset = static_cast<int64_t>(t->offset);
    out.params.push_back(std::move(p));
  }
  return out;
}

std::vector<OptimizerUse> OptimizerUses(const std::vector<CallSite>& call_sites, const std::vector<int>& optimizer_sites,
                                        const Checkpoint& checkpoint) {
  std::vector<OptimizerUse> uses;
  for (int s : optimizer_sites) {
    if (s < 0 || static_cast<size_t>(s) >= call_sites.size()) continue;
    const CallSite& site = call_sites[static_cast<size_t>(s)];
    std::string path;
    for (const std::string& k : site.keys) path += "['" + k + "']";
    OptimizerUse use;
    for (const OptimizerInfo& o : checkpoint.optimizers) {
      if (o.path == path) use.saved = &o;
    }
    if (use.saved == nullptr) continue;
    use.load = &site;
    if (site.optimizer_site >= 0 && static_cast<size_t>(site.optimizer_site) < call_sites.size()) {
      use.construction = &call_sites[static_cast<size_t>(site.optimizer_site)];
    }
    uses.push_back(use);
  }
  return uses;
}

std::optional<ModelParameters> ModelParametersFor(const ModuleIndex* index, const ExpectedStateDict* expected,
                                                  const Checkpoint& checkpoint, const CallSite* construction) {
  if (construction != nullptr && !construction->params_class.empty() && index != nullptr) {
    // The model the construction's `.parameters()` come from, with its literal
    // constructor arguments (the checkpoint's binding may use other ones).
    PredictOptions po;
    po.args = construction->params_args;
    auto e = PredictStateDict(*index, construction->params_class, po);
    if (e.ok()) {
      if (auto p = PredictedParameters(e.value())) return p;
    }
  } else if (expected != nullptr) {
    if (auto p = PredictedParameters(*expected)) return p;
  }
  return CheckpointParameters(checkpoint);
}

std::optional<std::vector<std::vector<const ModelParameter*>>> ConstructionGroups(const ModelParameters& model,
                                                                                  const CallSite* construction) {
  if (construction == nullptr || !construction->groups_known || !model.predicted ||
      (!construction->params_class.empty() && construction->params_class != model.class_name)) {
    return std::nullopt;
  }
  std::vector<std::vector<const ModelParameter*>> groups;
  for (const std::string& prefix : construction->group_prefixes) {
    std::vector<const ModelParameter*> g;
    for (const ModelParameter& p : model.params) {
      if (p.key.rfind(prefix, 0) == 0) g.push_back(&p);
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

namespace {
std::string ShapeList(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}
}  // namespace

std::string StepShapeError(const std::vector<int64_t>& state, const std::vector<int64_t>& param, bool param_is_a) {
  const std::vector<int64_t>& a = param_is_a ? param : state;
  const std::vector<int64_t>& b = param_is_a ? state : param;
  size_t ndim = std::max(a.size(), b.size());
  std::vector<int64_t> broadcast(ndim);
  // at::infer_size walks from the last dimension: the first failure it meets
  // is the rightmost mismatching one.
  for (size_t k = 0; k < ndim; ++k) {
    size_t i = ndim - 1 - k;
    int64_t sa = k < a.size() ? a[a.size() - 1 - k] : 1;
    int64_t sb = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      return "RuntimeError: The size of tensor a (" + std::to_string(sa) + ") must match the size of tensor b (" +
             std::to_string(sb) + ") at non-singleton dimension " + std::to_string(i);
    }
    broadcast[i] = sa == 1 ? sb : sa;
  }
  // Broadcastable but not equal: the in-place update of the state fails first,
  // else the one of the parameter.
  const std::vector<int64_t>& out = state != broadcast ? state : param;
  return "RuntimeError: output with shape " + ShapeList(out) + " doesn't match the broadcast shape " +
         ShapeList(broadcast);
}

}  // namespace ptlint
