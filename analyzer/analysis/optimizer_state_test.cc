#include "analyzer/analysis/optimizer_state.h"

#include <gtest/gtest.h>

namespace ptlint {
namespace {

TEST(OptimizerState, Torch113Outcomes) {
  // Measured with torch 1.13 (see the table in optimizer_state.cc).
  KindOutcome sgd_adam = Torch113KindOutcome("SGD", "Adam/AdamW");
  EXPECT_EQ(sgd_adam.stage, "step");
  EXPECT_EQ(sgd_adam.error, "KeyError: 'momentum'");
  KindOutcome adam_sgd = Torch113KindOutcome("Adam", "SGD (momentum)");
  EXPECT_EQ(adam_sgd.stage, "load_state_dict");
  EXPECT_EQ(adam_sgd.error, "KeyError: 'step'");
  EXPECT_EQ(Torch113KindOutcome("AdamW", "RMSprop").error, "KeyError: 'betas'");
  EXPECT_EQ(Torch113KindOutcome("RMSprop", "Adadelta").error, "KeyError: 'alpha'");
  EXPECT_EQ(Torch113KindOutcome("RMSprop", "SGD").error, "KeyError: 'square_avg'");
  EXPECT_EQ(Torch113KindOutcome("Adam", "NAdam").error, "");  // silent
  EXPECT_EQ(Torch113KindOutcome("Adam", "RAdam").error, "");
  EXPECT_EQ(Torch113KindOutcome("Adam", "LBFGS").error, "");  // not measured
}

// Texts measured with torch 1.13 on CPU (Adam and SGD with momentum).
TEST(OptimizerState, StepShapeErrorsMatchTorch) {
  EXPECT_EQ(StepShapeError({4, 8}, {5, 8}),
            "RuntimeError: The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 0");
  EXPECT_EQ(StepShapeError({4, 8}, {5, 6}),
            "RuntimeError: The size of tensor a (8) must match the size of tensor b (6) at non-singleton dimension 1");
  EXPECT_EQ(StepShapeError({2, 3}, {3, 2}),
            "RuntimeError: The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");
  EXPECT_EQ(StepShapeError({1, 8}, {4, 8}), "RuntimeError: output with shape [1, 8] doesn't match the broadcast shape [4, 8]");
  EXPECT_EQ(StepShapeError({4, 8}, {1, 8}), "RuntimeError: output with shape [1, 8] doesn't match the broadcast shape [4, 8]");
  EXPECT_EQ(StepShapeError({4, 8}, {8}), "RuntimeError: output with shape [8] doesn't match the broadcast shape [4, 8]");
  EXPECT_EQ(StepShapeError({8}, {4, 8}), "RuntimeError: output with shape [8] doesn't match the broadcast shape [4, 8]");
  // Rprop: the parameter's gradient is tensor a.
  EXPECT_EQ(StepShapeError({4, 8}, {5, 8}, true),
            "RuntimeError: The size of tensor a (5) must match the size of tensor b (4) at non-singleton dimension 0");
}

TEST(OptimizerState, PredictedParametersSkipBuffersAndNeedExactKeys) {
  ExpectedStateDict e;
  e.class_name = "m.Net";
  PredictedKey w;
  w.key = "fc.weight";
  w.shape.rank_known = true;
  w.shape.dims = {PredictedDim{"4", {}, 4}, PredictedDim{"n", {"n"}, std::nullopt}};
  PredictedKey rm;
  rm.key = "bn.running_mean";
  rm.kind = KeyKind::kBuffer;
  PredictedKey scale;
  scale.key = "scale";
  scale.kind = KeyKind::kBuffer;
  scale.persistent = false;
  e.keys = {w, rm, scale};
  std::string why;
  auto p = PredictedParameters(e, &why);
  ASSERT_TRUE(p.has_value()) << why;
  ASSERT_EQ(p->params.size(), 1u);
  EXPECT_EQ(p->params[0].key, "fc.weight");
  EXPECT_EQ(p->params[0].shape, (std::vector<int64_t>{4, -1}));
  PredictedKey layers;
  layers.key = "layers.*.weight";
  layers.is_pattern = true;
  e.keys.push_back(layers);
  EXPECT_FALSE(PredictedParameters(e, &why).has_value());
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace ptlint
