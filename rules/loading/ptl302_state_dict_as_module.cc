#include "rules/loading/ptl302_state_dict_as_module.h"

#include <cctype>

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& StateDictAsModuleRule::info() const {
  static const RuleInfo kInfo{"PTL302", "state-dict-as-module", Severity::kError,
                              "torch.load's result is used as a module, but the file holds a state dict"};
  return kInfo;
}

namespace {

// The Python type torch.load returns for a dict-shaped checkpoint.
std::string LoadedDictType(const Checkpoint& cp) {
  // Module.state_dict() returns an OrderedDict; hand-built and wrapper dicts
  // are plain dicts.
  return cp.layout == Layout::kStateDict ? "collections.OrderedDict" : "dict";
}

// `m.eval()` -> "eval"; `m(x)` -> "" (a call of the object itself).
std::string MethodUsed(const std::string& text, const std::string& variable) {
  if (text.rfind(variable, 0) != 0) return {};
  size_t at = variable.size();
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  if (at >= text.size() || text[at] != '.') return {};
  ++at;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  size_t end = at;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
    ++end;
  }
  return text.substr(at, end - at);
}

}  // namespace

void StateDictAsModuleRule::CheckCheckpoint(const CheckpointContext& ctx,
                                            std::vector<Diagnostic>& out) const {
  const Checkpoint& cp = ctx.checkpoint;
  if (cp.layout != Layout::kStateDict && cp.layout != Layout::kTensorDict &&
      cp.layout != Layout::kWrapperDict && cp.layout != Layout::kLightning) {
    return;
  }
  const std::string type = LoadedDictType(cp);
  for (const CallSite* load : LoadSitesOf(ctx)) {
    if (!load->result_used_as_module) continue;
    std::string var = load->result_variable.empty() ? "the result" : load->result_variable;
    std::string used = SourceFrom(ctx.project, load->path, load->used_as_module_at);
    std::string method = load->result_variable.empty() ? "" : MethodUsed(used, load->result_variable);

    Diagnostic d = CheckpointDiagnostic(info(), ctx, -1);
    std::string what = cp.layout == Layout::kStateDict ? "a state dict" : "a dict (" +
                       std::string(LayoutName(cp.layout)) + ")";
    if (!method.empty()) {
      d.message = "`" + var + "." + method + "()` treats `" + var + "` as a module, but `torch.load` "
                  "returns " + what + " for " + ctx.display_path;
      d.torch_error = "AttributeError: '" + type + "' object has no attribute '" + method + "'";
    } else {
      d.message = "`" + var + "(...)` calls `" + var + "` as a module, but `torch.load` returns " + what +
                  " for " + ctx.display_path;
      d.torch_error = "TypeError: '" + type + "' object is not callable";
    }
    std::string keys_hint;
    if (cp.layout == Layout::kWrapperDict && !cp.state_dict_path.empty()) {
      keys_hint = cp.state_dict_path;
    }
    d.fix = "Build the model from code and load the weights into it: `model = <ModelClass>(...); "
            "model.load_state_dict(torch.load(p" + std::string(keys_hint.empty() ? ")" : ")" + keys_hint) +
            ")`, then use `model`.";
    PlaceOnSource(d, RangeAt(load->path, load->used_as_module_at), "holds " + what);
    RelatedLocation rel;
    rel.where = CallRange(*load);
    rel.message = "`" + var + "` is loaded here";
    d.related.push_back(std::move(rel));
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
