#include "rules/saving/ptl701_saves_whole_module.h"

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& SavesWholeModuleRule::info() const {
  static const RuleInfo kInfo{"PTL701", "saves-whole-module", Severity::kWarning,
                              "torch.save(model, ...) pickles the whole module instead of its state_dict()"};
  return kInfo;
}

void SavesWholeModuleRule::CheckProject(const ProjectContext& ctx, std::vector<Diagnostic>& out) const {
  for (const CallSite& site : ctx.project.call_sites) {
    if (site.kind != CallKind::kTorchSave || !site.saves_module) continue;
    const std::string simple = site.saved_class.empty() ? "the module" : SimpleName(site.saved_class);
    const std::string obj = site.saved_text.empty() ? "model" : site.saved_text;
    Diagnostic d;
    d.code = info().code;
    d.severity = info().default_severity;
    d.location = CallRange(site);
    d.message = "`torch.save(" + obj + ", ...)` pickles the whole `" + simple + "` object" +
                (site.saved_class.empty() ? "" : " (" + site.saved_class + ")") +
                ": loading it needs that class importable under the same module path, with the "
                "attributes it has today, and a full unpickler (weights_only=False)";
    d.fix = "Save `" + obj + ".state_dict()` instead and rebuild the model from code at load time: "
            "`model = " + simple + "(...); model.load_state_dict(torch.load(path))`.";
    if (const ClassInfo* c = ctx.project.index.FindClass(site.saved_class)) {
      RelatedLocation rel;
      rel.where = RangeAt(c->path, c->position);
      rel.message = "`" + c->name + "` is defined here";
      d.related.push_back(std::move(rel));
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
