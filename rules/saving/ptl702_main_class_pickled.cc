#include "rules/saving/ptl702_main_class_pickled.h"

#include <algorithm>

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& MainClassPickledRule::info() const {
  static const RuleInfo kInfo{"PTL702", "main-class-pickled", Severity::kWarning,
                              "A script pickles an instance of a class it defines: the file names __main__.X"};
  return kInfo;
}

void MainClassPickledRule::CheckProject(const ProjectContext& ctx, std::vector<Diagnostic>& out) const {
  const ModuleIndex& index = ctx.project.index;
  for (const CallSite& site : ctx.project.call_sites) {
    if (site.kind != CallKind::kTorchSave || !site.saves_module || site.saved_class.empty()) continue;
    const ClassInfo* cls = index.FindClass(site.saved_class);
    if (cls == nullptr || cls->nested || cls->path != site.path) continue;
    const IndexedFile* file = index.FindFile(site.path);
    if (file == nullptr) continue;
    // The script runs as __main__ when it has a main guard (the index then
    // names the class `__main__.X`) or saves at module level.
    bool main_name = std::find(cls->other_names.begin(), cls->other_names.end(),
                               "__main__." + cls->name) != cls->other_names.end();
    if (!main_name && !file->has_main_guard && !site.function.empty()) continue;

    Diagnostic d;
    d.code = info().code;
    d.severity = info().default_severity;
    d.location = CallRange(site);
    d.message = "`" + cls->name + "` is defined in " + DisplayPath(cls->path) +
                ", a script run as `__main__`; this torch.save pickles it as `__main__." + cls->name +
                "`, which no other script can load (there, `torch.load` raises `AttributeError: Can't get "
                "attribute '" + cls->name + "' on <module '__main__' ...>`)";
    d.fix = "Move `" + cls->name + "` into an importable module (e.g. models.py) and import it here, "
            "and save `" + (site.saved_text.empty() ? std::string("model") : site.saved_text) +
            ".state_dict()` rather than the object.";
    RelatedLocation rel;
    rel.where = RangeAt(cls->path, cls->position);
    rel.message = "`" + cls->name + "` is defined here, in the script";
    d.related.push_back(std::move(rel));
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
