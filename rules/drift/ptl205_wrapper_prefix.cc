#include "rules/drift/ptl205_wrapper_prefix.h"

#include "rules/core/quick_fix.h"
#include "rules/core/rule_util.h"

namespace ptlint {

const RuleInfo& WrapperPrefixRule::info() const {
  static const RuleInfo kInfo{"PTL205", "wrapper-prefix", Severity::kError,
                              "Every checkpoint key carries (or lacks) a wrapper's prefix"};
  return kInfo;
}

namespace {

// Why a prefix is there, for the message.
std::string PrefixCause(const std::string& prefix) {
  if (prefix.rfind("module.", 0) == 0) return "saved from nn.DataParallel / DistributedDataParallel";
  if (prefix.rfind("_orig_mod.", 0) == 0) return "saved from a torch.compile'd model (OptimizedModule)";
  if (prefix.rfind("_fsdp_wrapped_module.", 0) == 0) return "saved from an FSDP-wrapped model";
  if (prefix.rfind("_forward_module.", 0) == 0) return "saved through Lightning's strategy wrapper";
  if (prefix.rfind("_checkpoint_wrapped_module.", 0) == 0) return "saved from an activation-checkpoint wrapper";
  return "saved from a wrapper whose attribute holds the model (e.g. a LightningModule's `self.model`)";
}

}  // namespace

void WrapperPrefixRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (ctx.diff == nullptr) return;
  const StateDictDiff& diff = *ctx.diff;
  if (diff.extra_prefix.empty() && diff.missing_prefix.empty()) return;
  const std::string cls = ShortClassName(ctx.analyzed.binding.cls);
  Diagnostic d = CheckpointDiagnostic(info(), ctx);
  const CallSite* site = BindingCallSite(ctx);
  std::vector<std::string> file_keys, code_keys;
  for (const TensorInfo& t : ctx.checkpoint.tensors) {
    if (!t.name.empty() && t.name[0] != '[' && file_keys.size() < 3) file_keys.push_back(t.name);
  }
  if (!diff.extra_prefix.empty()) {
    const std::string& p = diff.extra_prefix;
    d.message = "every key in " + ctx.display_path + " starts with `" + p + "` (" + PrefixCause(p) +
                "); " + cls + " expects them without it";
    for (const std::string& k : file_keys) code_keys.push_back(k.substr(p.size()));
    d.torch_error = TorchLoadStateDictError(cls, code_keys, file_keys, {});
    std::string var = site != nullptr && !site->argument_text.empty() ? site->argument_text : "state_dict";
    d.fix = "Strip the prefix before loading: `torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(" +
            var + ", \"" + p + "\")`, or save the unwrapped model's state_dict (`model.module.state_dict()`, "
            "`model._orig_mod.state_dict()`).";
  } else {
    const std::string& p = diff.missing_prefix;
    d.message = cls + " expects every key under `" + p + "` but " + ctx.display_path +
                " was saved from the unwrapped model";
    for (const std::string& k : file_keys) code_keys.push_back(p + k);
    d.torch_error = TorchLoadStateDictError(cls, code_keys, file_keys, {});
    d.fix = "Load into the inner model (`model." + p.substr(0, p.size() - 1) +
            ".load_state_dict(sd)`) or add the prefix: `sd = {\"" + p + "\" + k: v for k, v in sd.items()}`.";
  }
  // The fix: rewrite the keys where the checkpoint is loaded.
  if (site != nullptr) {
    if (auto arg = LoadStateDictArgument(ctx.project, *site)) {
      const std::string* source = IndexedSource(ctx.project, site->path);
      std::string items = AsOperand(site->argument_text) + ".items()";
      TextEdit edit;
      edit.range = RangeOfBytes(site->path, *source, arg->first, arg->second);
      if (!diff.extra_prefix.empty()) {
        const std::string& p = diff.extra_prefix;
        edit.new_text = "{(k[" + std::to_string(p.size()) + ":] if k.startswith(\"" + p +
                        "\") else k): v for k, v in " + items + "}";
      } else {
        edit.new_text = "{\"" + diff.missing_prefix + "\" + k: v for k, v in " + items + "}";
      }
      d.edits.push_back(std::move(edit));
    }
  }
  if (site != nullptr) {
    d.location = CallRange(*site);
    d.related.push_back({CheckpointRange(ctx), "the checkpoint with the prefixed keys"});
  } else {
    d.location = BoundClassRange(ctx);
    if (d.location.line > 0) d.related.push_back({CheckpointRange(ctx), "the checkpoint"});
  }
  out.push_back(std::move(d));
}

}  // namespace ptlint
