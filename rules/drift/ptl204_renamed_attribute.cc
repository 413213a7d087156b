#include "rules/drift/ptl204_renamed_attribute.h"

#include "rules/core/quick_fix.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& RenamedAttributeRule::info() const {
  static const RuleInfo kInfo{"PTL204", "renamed-attribute", Severity::kError,
                              "A submodule or parameter was renamed since the checkpoint was saved"};
  return kInfo;
}

void RenamedAttributeRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr) return;
  const std::string cls = ShortClassName(ctx.analyzed.binding.cls);
  for (const RenamedSubtree& r : ctx.diff->renames) {
    std::string old_name = r.checkpoint_prefix.substr(0, r.checkpoint_prefix.size() - 1);
    std::string new_name = r.code_prefix.substr(0, r.code_prefix.size() - 1);
    Diagnostic d = CheckpointDiagnostic(info(), ctx);
    d.message = "`" + old_name + "` in " + ctx.display_path + " is `" + new_name + "` in " + cls + ": " +
                std::to_string(r.keys.size()) + (r.keys.size() == 1 ? " key aligns" : " keys align") +
                " by name and shape (" + QuotedList(r.keys, 3) + ")";
    std::vector<std::string> missing, unexpected;
    for (const std::string& k : r.keys) {
      missing.push_back(r.code_prefix + k);
      unexpected.push_back(r.checkpoint_prefix + k);
    }
    d.torch_error = TorchLoadStateDictError(cls, missing, unexpected, {});
    d.fix = "Rename the keys when loading: `sd = {(\"" + r.code_prefix + "\" + k[" +
            std::to_string(r.checkpoint_prefix.size()) + ":] if k.startswith(\"" + r.checkpoint_prefix +
            "\") else k): v for k, v in sd.items()}`, or keep the old attribute name `" + old_name + "`.";
    // The line to look at is where the new name is assigned: `self.encoder = ...`
    // in the class that owns the renamed attribute (the root class for a
    // top-level rename; deeper renames fall back to the first key's line).
    const CheckpointBinding& b = ctx.analyzed.binding;
    if (new_name.find('.') == std::string::npos && !b.class_path.empty()) {
      d.location = AttributeAssignmentRange(ctx.project, b.class_path, b.class_position.line, new_name);
    } else if (r.anchor != nullptr && r.anchor->location.line > 0) {
      d.location = RangeAt(r.anchor->location);
    } else {
      d.location = BoundClassRange(ctx);
    }
    if (d.location.line > 0) d.related.push_back({CheckpointRange(ctx), "the checkpoint still uses `" + old_name + "`"});
    // The fix: rename the keys where the checkpoint is loaded (the code keeps
    // its new name, which forward() and other callers already use).
    if (const CallSite* site = BindingCallSite(ctx)) {
      if (auto arg = LoadStateDictArgument(ctx.project, *site)) {
        const std::string* source = IndexedSource(ctx.project, site->path);
        TextEdit edit;
        edit.range = RangeOfBytes(site->path, *source, arg->first, arg->second);
        edit.new_text = "{(\"" + r.code_prefix + "\" + k[" + std::to_string(r.checkpoint_prefix.size()) +
                        ":] if k.startswith(\"" + r.checkpoint_prefix + "\") else k): v for k, v in " +
                        AsOperand(site->argument_text) + ".items()}";
        d.edits.push_back(std::move(edit));
      }
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
