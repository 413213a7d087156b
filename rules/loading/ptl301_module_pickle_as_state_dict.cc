#include "rules/loading/ptl301_module_pickle_as_state_dict.h"

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& ModulePickleAsStateDictRule::info() const {
  static const RuleInfo kInfo{"PTL301", "module-pickle-as-state-dict", Severity::kError,
                              "load_state_dict() is given a whole pickled module, not a state dict"};
  return kInfo;
}

void ModulePickleAsStateDictRule::CheckCheckpoint(const CheckpointContext& ctx,
                                                  std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  // What torch.load returns for this file, as Python names its type.
  std::string loaded_type;
  if (cp.layout == Layout::kPickledModule && !cp.modules.empty() && !cp.modules.front().name.empty()) {
    loaded_type = cp.modules.front().module + "." + cp.modules.front().name;
  } else if (cp.layout == Layout::kTorchScript || cp.format == ContainerFormat::kTorchScript) {
    loaded_type = "torch.jit._script.RecursiveScriptModule";  // torch.load dispatches to jit.load
  } else {
    return;
  }
  const std::string simple = SimpleName(loaded_type);
  for (int s : ctx.analyzed.state_dict_sites) {
    if (s < 0 || static_cast<size_t>(s) >= ctx.project.call_sites.size()) continue;
    const CallSite& site = ctx.project.call_sites[static_cast<size_t>(s)];
    // `ckpt["model"]` on a module is a different error (not subscriptable):
    // only the whole result passed on is this rule's.
    if (site.kind != CallKind::kLoadStateDict || !site.keys.empty()) continue;
    Diagnostic d = CheckpointDiagnostic(info(), ctx, -1);
    d.message = "`" + (site.receiver.empty() ? std::string("load_state_dict") : site.receiver +
                ".load_state_dict") + "` is given what `torch.load` returns for " + ctx.display_path +
                ": a whole pickled `" + simple + "` (torch.save(model)), not a state dict";
    d.torch_error = "TypeError: Expected state_dict to be dict-like, got <class '" + loaded_type + "'>.";
    d.fix = "Either use the loaded object as the model (`model = torch.load(p)`), or load it once and "
            "re-save `model.state_dict()` so `load_state_dict(torch.load(p))` works; passing "
            "`torch.load(p).state_dict()` also works.";
    PlaceOnSource(d, CallRange(site), "holds a pickled `" + simple + "`");
    if (site.load_site >= 0 && static_cast<size_t>(site.load_site) < ctx.project.call_sites.size()) {
      const CallSite& load = ctx.project.call_sites[static_cast<size_t>(site.load_site)];
      if (load.start.line != site.start.line || load.path != site.path) {
        RelatedLocation rel;
        rel.where = CallRange(load);
        rel.message = "the checkpoint is loaded here";
        d.related.push_back(std::move(rel));
      }
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
