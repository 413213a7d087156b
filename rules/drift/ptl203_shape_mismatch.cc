#include "rules/drift/ptl203_shape_mismatch.h"

#include <map>

#include "rules/core/finding_groups.h"
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
  // A resize repeated in each instance of a block (`h.0.fc.weight`,
  // `h.1.fc.weight`) is one cause: one finding, one torch error listing them.
  auto cause_of = [&](const ShapeMismatch& m, std::string* instance) {
    std::string pattern = IndexedPattern(m.expected->key, instance);
    return pattern + "|" + ActualText(m.actual->shape) + "|" + ShapeText(m.expected->shape);
  };
  auto torch_line = [&](const ShapeMismatch& m) {
    std::vector<int64_t> expected;
    bool concrete = m.expected->shape.rank_known;
    for (const PredictedDim& dim : m.expected->shape.dims) {
      if (!dim.value) concrete = false;
      expected.push_back(dim.value.value_or(-1));
    }
    return "size mismatch for " + m.expected->key + ": copying a param with shape " +
           TorchSizeText(m.actual->shape) + " from checkpoint, the shape in current model is " +
           (concrete ? TorchSizeText(expected) : "torch.Size(" + ShapeText(m.expected->shape) + ")") + ".";
  };
  std::map<std::string, std::vector<std::string>> torch_lines;  // cause -> its lines in this file
  for (const ShapeMismatch& m : ctx.diff->mismatches) {
    std::string instance;
    torch_lines[cause_of(m, &instance)].push_back(torch_line(m));
  }
  for (const ShapeMismatch& m : ctx.diff->mismatches) {
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    std::string driven_by;
    if (!m.driving_args.empty()) {
      driven_by = " (dimension";
      driven_by += m.dims.size() == 1 ? " " + std::to_string(m.dims[0]) : "s";
      driven_by += " from " + QuotedList(m.driving_args) + ")";
    }
    d.message = "size mismatch for " + m.expected->key + ": " + ctx.display_path + " has " +
                ActualText(m.actual->shape) + ", " + cls + " builds " + ShapeText(m.expected->shape) + driven_by;
    std::string instance;
    const std::string cause = cause_of(m, &instance);
    d.torch_error = TorchLoadStateDictError(cls, {}, {}, instance.empty() ? std::vector<std::string>{torch_line(m)}
                                                                          : torch_lines[cause]);
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
    // One cause: this line's tensor, resized the same way in every instance
    // and every checkpoint bound to the class.
    std::string no_instance;
    d.cause = "PTL203|" + ctx.analyzed.binding.cls + "|" + d.location.path + ":" + std::to_string(d.location.line) +
              ":" + std::to_string(d.location.column) + "|" + cause;
    d.instance = instance;
    d.cause_message = "size mismatch for " + IndexedPattern(m.expected->key, &no_instance) +
                      ": the checkpoint has " + ActualText(m.actual->shape) + ", " + cls + " builds " +
                      ShapeText(m.expected->shape) + driven_by;
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
