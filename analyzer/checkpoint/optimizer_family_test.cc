// The optimizer classifier against real states: torch 1.13 (PTLINT_PYTHON)
// saves every torch.optim optimizer, stepped and never stepped, and the
// family `ptlint inspect` shows (OptimizerInfo::family, set by the object
// interpreter) must be the one the optimizer rules compute
// (ClassifySavedOptimizer) and must name the true class, or say "unknown"
// when the saved keys cannot tell.
#include "analyzer/checkpoint/optimizer_family.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/checkpoint/checkpoint_reader.h"

namespace ptlint {
namespace {

OptimizerInfo Saved(std::vector<std::string> state_keys, std::vector<std::string> group_keys,
                    std::vector<std::string> tensor_keys = {}) {
  OptimizerInfo o;
  o.state_keys = std::move(state_keys);
  OptimizerGroup g;
  g.params = {0, 1};
  for (const std::string& k : group_keys) g.options[k] = "0";
  o.groups.push_back(g);
  for (const std::string& k : tensor_keys) o.state_tensors[0].push_back("['state'][0]['" + k + "']");
  return o;
}

// Keys as torch 1.13 saves them after one step() (tests/rules/PTL402 makes them with real torch).
TEST(OptimizerFamily, ClassifiesTorchOptimizersByStateAndGroupKeys) {
  const std::vector<std::string> common = {"lr", "weight_decay", "foreach", "maximize"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"momentum_buffer"}, with({"momentum", "dampening", "nesterov"}),
                                         {"momentum_buffer"})).family,
            "SGD (momentum)");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"momentum_buffer"}, with({"momentum", "dampening", "nesterov"}))).family,
            "SGD");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "exp_avg", "exp_avg_sq"}, with({"betas", "eps", "amsgrad"}))).family,
            "Adam/AdamW");
  EXPECT_EQ(ClassifySavedOptimizer(
                Saved({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, with({"betas", "eps", "amsgrad"}))).family,
            "Adam/AdamW (amsgrad)");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "exp_avg", "exp_avg_sq"}, with({"betas", "eps"}))).family, "RAdam");
  EXPECT_EQ(ClassifySavedOptimizer(
                Saved({"step", "mu_product", "exp_avg", "exp_avg_sq"}, with({"betas", "momentum_decay"}))).family,
            "NAdam");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "exp_avg", "exp_inf"}, with({"betas", "eps"}))).family, "Adamax");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "square_avg"}, with({"alpha", "centered", "momentum"}))).family,
            "RMSprop");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "sum"}, with({"lr_decay", "initial_accumulator_value"}))).family,
            "Adagrad");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "square_avg", "acc_delta"}, with({"rho"}))).family, "Adadelta");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "prev", "step_size"}, {"lr", "etas", "step_sizes"})).family,
            "Rprop");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"step", "eta", "mu", "ax"}, with({"lambd", "alpha", "t0"}))).family, "ASGD");
  // Saved before the first step(): the groups still tell.
  EXPECT_EQ(ClassifySavedOptimizer(Saved({}, with({"betas", "eps", "amsgrad"}))).family, "Adam/AdamW");
  EXPECT_EQ(ClassifySavedOptimizer(Saved({}, with({"momentum", "dampening", "nesterov"}))).family, "SGD");
  // A custom optimizer's keys fit none.
  EXPECT_EQ(ClassifySavedOptimizer(Saved({"ema"}, with({"gamma"}))).family, "");
}

TEST(OptimizerFamily, ClassNamesAndStateKeys) {
  EXPECT_EQ(OptimizerShortName("torch.optim.adamw.AdamW"), "AdamW");
  EXPECT_EQ(FamilyOfOptimizerClass("AdamW"), "Adam/AdamW");
  EXPECT_EQ(FamilyOfOptimizerClass("Lion"), "");
  EXPECT_EQ(OptimizerBaseFamily("SGD (momentum)"), "SGD");
  EXPECT_TRUE(SameOptimizerFamily("SGD", "SGD (momentum)"));
  EXPECT_TRUE(SameOptimizerFamily("Adam/AdamW", "Adam/AdamW (amsgrad)"));
  EXPECT_FALSE(SameOptimizerFamily("Adam/AdamW", "RAdam"));
  EXPECT_EQ(StateKeyOfTensor("['optimizer']['state'][3]['exp_avg_sq']"), "exp_avg_sq");
  EXPECT_EQ(StateKeyOfTensor("fc.weight"), "");
}

// One file per case: {"model": state_dict, "optimizer": optimizer.state_dict()}.
constexpr const char* kScript = R"PY(
import sys, warnings
import torch
warnings.filterwarnings("ignore")
out = sys.argv[1]
O = torch.optim
cases = [
    ("Adam", O.Adam, {}), ("Adam_amsgrad", O.Adam, {"amsgrad": True}),
    ("AdamW", O.AdamW, {}), ("AdamW_amsgrad", O.AdamW, {"amsgrad": True}),
    ("RAdam", O.RAdam, {}), ("NAdam", O.NAdam, {}), ("Adamax", O.Adamax, {}),
    ("Adagrad", O.Adagrad, {}), ("Adadelta", O.Adadelta, {}),
    ("RMSprop", O.RMSprop, {}), ("RMSprop_momentum", O.RMSprop, {"momentum": 0.9}),
    ("RMSprop_centered_momentum", O.RMSprop, {"momentum": 0.9, "centered": True}),
    ("SGD", O.SGD, {"lr": 0.1}), ("SGD_momentum", O.SGD, {"lr": 0.1, "momentum": 0.9}),
    ("SGD_nesterov", O.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("ASGD", O.ASGD, {}), ("Rprop", O.Rprop, {}), ("LBFGS", O.LBFGS, {}),
    ("SparseAdam", O.SparseAdam, {}),
]
for name, cls, kw in cases:
    for stepped in (False, True):
        torch.manual_seed(0)
        sparse = cls is O.SparseAdam
        model = torch.nn.Embedding(4, 3, sparse=True) if sparse else torch.nn.Linear(3, 2)
        opt = cls(model.parameters(), **kw)
        def closure():
            opt.zero_grad()
            y = model(torch.tensor([1, 2])) if sparse else model(torch.ones(1, 3))
            loss = y.square().sum()
            loss.backward()
            return loss
        if stepped:
            opt.step(closure)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()},
                   "%s/%s_%s.pt" % (out, name, "stepped" if stepped else "fresh"))
)PY";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct RealCase {
  const char* file;     // <case>_{stepped,fresh}
  const char* cls;      // the torch.optim class that saved it
  const char* family;   // what the keys tell
};

TEST(OptimizerFamily, RealTorchStatesAgreeWithTheirClass) {
  char tmpl[] = "/tmp/ptlint_optimizer_family_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::ofstream(dir + "/make.py") << kScript;
  const std::string cmd = std::string(PTLINT_PYTHON) + " " + dir + "/make.py " + dir + " > " + dir + "/log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::string log = ReadAll(dir + "/log");
    std::filesystem::remove_all(dir);
    if (log.find("No module named 'torch'") != std::string::npos) GTEST_SKIP() << "no torch at " PTLINT_PYTHON;
    FAIL() << "fixture script failed:\n" << log;
  }
  const RealCase cases[] = {
      // Stepped: the per-parameter state keys tell.
      {"Adam_stepped", "Adam", "Adam/AdamW"},
      {"Adam_amsgrad_stepped", "Adam", "Adam/AdamW (amsgrad)"},
      {"AdamW_stepped", "AdamW", "Adam/AdamW"},  // same keys as Adam
      {"AdamW_amsgrad_stepped", "AdamW", "Adam/AdamW (amsgrad)"},
      {"RAdam_stepped", "RAdam", "RAdam"},
      {"NAdam_stepped", "NAdam", "NAdam"},
      {"Adamax_stepped", "Adamax", "Adamax"},
      {"Adagrad_stepped", "Adagrad", "Adagrad"},
      {"Adadelta_stepped", "Adadelta", "Adadelta"},
      {"RMSprop_stepped", "RMSprop", "RMSprop"},
      {"RMSprop_momentum_stepped", "RMSprop", "RMSprop"},
      {"RMSprop_centered_momentum_stepped", "RMSprop", "RMSprop"},
      {"SGD_stepped", "SGD", "SGD"},  // momentum_buffer saved as None
      {"SGD_momentum_stepped", "SGD", "SGD (momentum)"},
      {"SGD_nesterov_stepped", "SGD", "SGD (momentum)"},
      {"ASGD_stepped", "ASGD", "ASGD"},
      {"Rprop_stepped", "Rprop", "Rprop"},
      {"LBFGS_stepped", "LBFGS", "LBFGS"},
      {"SparseAdam_stepped", "SparseAdam", "SparseAdam"},
      // Never stepped: no per-parameter state, only the param_group keys.
      {"Adam_fresh", "Adam", "Adam/AdamW"},  // betas + amsgrad
      {"Adam_amsgrad_fresh", "Adam", "Adam/AdamW"},  // no max_exp_avg_sq yet
      {"AdamW_fresh", "AdamW", "Adam/AdamW"},
      {"AdamW_amsgrad_fresh", "AdamW", "Adam/AdamW"},
      // betas (+ weight_decay) alone: RAdam, Adamax and SparseAdam cannot be
      // told apart across torch versions.
      {"RAdam_fresh", "RAdam", "unknown"},
      {"Adamax_fresh", "Adamax", "unknown"},
      {"SparseAdam_fresh", "SparseAdam", "unknown"},
      {"NAdam_fresh", "NAdam", "NAdam"},  // momentum_decay
      {"Adagrad_fresh", "Adagrad", "Adagrad"},
      {"Adadelta_fresh", "Adadelta", "Adadelta"},
      {"RMSprop_fresh", "RMSprop", "RMSprop"},  // has `momentum` too: not SGD
      {"RMSprop_momentum_fresh", "RMSprop", "RMSprop"},
      {"RMSprop_centered_momentum_fresh", "RMSprop", "RMSprop"},
      {"SGD_fresh", "SGD", "SGD"},
      {"SGD_momentum_fresh", "SGD", "SGD"},  // no buffer yet: the variant is not known
      {"SGD_nesterov_fresh", "SGD", "SGD"},
      {"ASGD_fresh", "ASGD", "ASGD"},
      {"Rprop_fresh", "Rprop", "Rprop"},
      {"LBFGS_fresh", "LBFGS", "LBFGS"},
  };
  for (const RealCase& c : cases) {
    SCOPED_TRACE(c.file);
    Checkpoint ck = ReadCheckpoint(dir + "/" + c.file + ".pt");
    ASSERT_EQ(ck.optimizers.size(), 1u);
    const OptimizerInfo& opt = ck.optimizers[0];
    EXPECT_EQ(opt.path, "['optimizer']");
    // What inspect shows.
    EXPECT_EQ(opt.family, c.family);
    // What the rules compute.
    std::string rule_side = ClassifySavedOptimizer(opt).family;
    EXPECT_EQ(rule_side.empty() ? "unknown" : rule_side, opt.family);
    // The family is the true class's (the rules compare it with the class the
    // code constructs).
    if (std::string(c.family) != "unknown") {
      EXPECT_TRUE(SameOptimizerFamily(FamilyOfOptimizerClass(c.cls), c.family))
          << FamilyOfOptimizerClass(c.cls) << " vs " << c.family;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ptlint
