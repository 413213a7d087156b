#include "rules/drift/ptl203_shape_mismatch.h"

#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& ShapeMismatchRule::info() const {
  static const RuleInfo kInfo{"PTL203", "shape-mismatch", Severity::kError,
                              "A tensor in the checkpoint has another shape than the code builds"};
  return kInfo;
}

namespace {

std::string ShapeText(const PredictedShape& s) {
  if (!s.rank_known) return "?";
  std::string t = "[";
  for (size_t i = 0; i < s.dims.size(); ++i) {
    if (i) t += ", ";
    t += s.dims[i].value ? std::to_string(*s.dims[i].value) : s.dims[i].expr;
  }
  return t + "]";
}

std::string ActualText(const std::vector<int64_t>& shape) {
  std::string t = "[";
  for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
  return t + "]";
}

}  // namespace

void ShapeMismatchRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr) return;
  const std::string cls = ShortClassName(ctx.analyzed.binding.cls);
  for (const ShapeMismatch& m : ctx.diff->mismatches) {
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    d.message = "size mismatch for " + m.expected->key + ": " + ctx.display_path + " has " +
                ActualText(m.actual->shape) + ", " + cls + " builds " + ShapeText(m.expected->shape);
    if (!m.driving_args.empty()) {
      d.message += " (dimension";
      d.message += m.dims.size() == 1 ? " " + std::to_string(m.dims[0]) : "s";
      d.message += " from " + QuotedList(m.driving_args) + ")";
    }
    std::vector<int64_t> expected;
    bool concrete = m.expected->shape.rank_known;
    for (const PredictedDim& dim : m.expected->shape.dims) {
      if (!dim.value) concrete = false;
      expected.push_back(dim.value.value_or(-1));
    }
    std::string line = "size mismatch for " + m.expected->key + ": copying a param with shape " +
                       TorchSizeText(m.actual->shape) + " from checkpoint, the shape in current model is " +
                       (concrete ? TorchSizeText(expected) : "torch.Size(" + ShapeText(m.expected->shape) + ")") + ".";
    d.torch_error = TorchLoadStateDictError(cls, {}, {}, {line});
    d.fix = m.driving_args.empty()
                ? "Build the model with the configuration the checkpoint was trained with, or drop this "
                  "key and load with strict=False (strict=False alone does not skip size mismatches)."
                : "Construct " + cls + " with the " + QuotedList(m.driving_args) +
                      " the checkpoint was trained with, or drop this key and load with strict=False "
                      "(strict=False alone does not skip size mismatches).";
    if (m.expected->location.line > 0) {
      d.location = RangeAt(m.expected->location);
      d.related.push_back({CheckpointRange(ctx), "the checkpoint's tensor"});
    } else {
      d.location = BoundClassRange(ctx);
    }
    d.byte_offset = static_cast<int64_t>(m.actual->offset);
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
