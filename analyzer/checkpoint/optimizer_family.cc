#include "analyzer/checkpoint/optimizer_family.h"

#include <set>

namespace ptlint {

namespace {

bool Has(const std::set<std::string>& s, const char* k) { return s.count(k) > 0; }

}  // namespace

std::string StateKeyOfTensor(const std::string& name) {
  size_t close = name.rfind("']");
  if (close == std::string::npos) return "";
  size_t open = name.rfind("['", close);
  if (open == std::string::npos) return "";
  return name.substr(open + 2, close - open - 2);
}

SavedOptimizerFamily ClassifySavedOptimizer(const OptimizerInfo& saved) {
  std::set<std::string> state;
  for (const std::string& k : saved.state_keys) {
    if (k != "step") state.insert(k);
  }
  std::set<std::string> group;
  for (const OptimizerGroup& g : saved.groups) {
    for (const auto& [k, v] : g.options) group.insert(k);
  }
  bool momentum_tensor = false;
  for (const auto& [param, names] : saved.state_tensors) {
    for (const std::string& n : names) momentum_tensor |= StateKeyOfTensor(n) == "momentum_buffer";
  }
  SavedOptimizerFamily out;
  auto evidence = [&](std::initializer_list<const char*> state_keys, std::initializer_list<const char*> group_keys) {
    for (const char* k : state_keys) {
      if (Has(state, k)) out.state_evidence.push_back(k);
    }
    for (const char* k : group_keys) {
      if (Has(group, k)) out.group_evidence.push_back(k);
    }
  };
  if (Has(state, "mu_product") || Has(group, "momentum_decay")) {
    out.family = "NAdam";
    evidence({"mu_product", "exp_avg", "exp_avg_sq"}, {"betas", "momentum_decay"});
  } else if (Has(state, "exp_inf")) {
    out.family = "Adamax";
    evidence({"exp_avg", "exp_inf"}, {"betas"});
  } else if (Has(state, "acc_delta") || Has(group, "rho")) {
    out.family = "Adadelta";
    evidence({"square_avg", "acc_delta"}, {"rho"});
  } else if (Has(state, "sum") || Has(group, "lr_decay") || Has(group, "initial_accumulator_value")) {
    out.family = "Adagrad";
    evidence({"sum"}, {"lr_decay", "initial_accumulator_value"});
  } else if (Has(state, "ax") || Has(group, "lambd") || Has(group, "t0")) {
    out.family = "ASGD";
    evidence({"eta", "mu", "ax"}, {"lambd", "alpha", "t0"});
  } else if (Has(state, "prev") || Has(group, "etas") || Has(group, "step_sizes")) {
    out.family = "Rprop";
    evidence({"prev", "step_size"}, {"etas", "step_sizes"});
  } else if (Has(state, "old_dirs") || Has(state, "func_evals") || Has(group, "history_size") ||
             Has(group, "line_search_fn")) {
    out.family = "LBFGS";
    evidence({"old_dirs", "func_evals"}, {"history_size", "max_iter", "line_search_fn"});
  } else if (Has(state, "square_avg") || (Has(group, "alpha") && Has(group, "centered"))) {
    out.family = "RMSprop";
    evidence({"square_avg", "momentum_buffer", "grad_avg"}, {"alpha", "centered", "momentum"});
  } else if (Has(group, "betas") && Has(group, "amsgrad")) {
    out.family = Has(state, "max_exp_avg_sq") ? "Adam/AdamW (amsgrad)" : "Adam/AdamW";
    evidence({"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, {"betas", "amsgrad"});
  } else if (Has(group, "betas") && Has(state, "exp_avg") && Has(state, "exp_avg_sq")) {
    // betas without amsgrad: RAdam, or SparseAdam (which has no weight_decay).
    out.family = Has(group, "weight_decay") ? "RAdam" : "SparseAdam";
    evidence({"exp_avg", "exp_avg_sq"}, {"betas"});
  } else if (group.empty() && Has(state, "exp_avg") && Has(state, "exp_avg_sq")) {
    out.family = "Adam/AdamW";
    evidence({"exp_avg", "exp_avg_sq"}, {});
  } else if (Has(state, "momentum_buffer") || Has(group, "dampening") || Has(group, "nesterov")) {
    out.family = momentum_tensor ? "SGD (momentum)" : "SGD";
    evidence({"momentum_buffer"}, {"momentum", "dampening", "nesterov"});
  }
  return out;
}

std::string OptimizerShortName(const std::string& qualified) {
  size_t dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

std::string FamilyOfOptimizerClass(const std::string& short_name) {
  static const std::pair<const char*, const char*> kFamilies[] = {
      {"SGD", "SGD"},         {"Adam", "Adam/AdamW"},   {"AdamW", "Adam/AdamW"}, {"RAdam", "RAdam"},
      {"NAdam", "NAdam"},     {"Adamax", "Adamax"},     {"RMSprop", "RMSprop"},  {"Adagrad", "Adagrad"},
      {"Adadelta", "Adadelta"}, {"ASGD", "ASGD"},       {"Rprop", "Rprop"},      {"SparseAdam", "SparseAdam"},
      {"LBFGS", "LBFGS"},
  };
  for (const auto& [cls, family] : kFamilies) {
    if (short_name == cls) return family;
  }
  return "";
}

std::string OptimizerBaseFamily(const std::string& family) {
  size_t paren = family.find(" (");
  return paren == std::string::npos ? family : family.substr(0, paren);
}

bool SameOptimizerFamily(const std::string& a, const std::string& b) {
  return OptimizerBaseFamily(a) == OptimizerBaseFamily(b);
}

}  // namespace ptlint
