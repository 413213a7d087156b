#include "rules/references/ptl103_main_module_global.h"

#include <algorithm>
#include <set>

#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& MainModuleGlobalRule::info() const {
  static const RuleInfo kInfo{"PTL103", "main-module-global", Severity::kError,
                              "A pickled class lives in __main__: only the script that saved it can load it"};
  return kInfo;
}

namespace {

// The scripts that define `name` at top level: the class has `__main__.X`
// among its names (a file with a main guard), or failing that any top-level
// class of that name in a file that is not a package.
std::vector<const ClassInfo*> DefiningScripts(const ModuleIndex& index, const std::string& name) {
  std::vector<const ClassInfo*> guarded, other;
  for (const ClassInfo* c : ClassesNamed(index, name)) {
    bool main_name = std::find(c->other_names.begin(), c->other_names.end(), "__main__." + name) !=
                     c->other_names.end();
    (main_name ? guarded : other).push_back(c);
  }
  return guarded.empty() ? other : guarded;
}

// A load in a file that itself defines the class at top level works when
// that file runs as the script: the unpickler finds `__main__.X` there.
bool FileDefines(const ModuleIndex& index, const std::string& path, const std::string& name) {
  const IndexedFile* f = index.FindFile(path);
  if (f == nullptr) return false;
  for (const ClassInfo& c : f->classes) {
    if (!c.nested && c.name == name) return true;
  }
  return false;
}

}  // namespace

void MainModuleGlobalRule::CheckCheckpoint(const CheckpointContext& ctx,
                                           std::vector<Diagnostic>& out) const {
  const ModuleIndex& index = ctx.project.index;
  std::vector<const CallSite*> loads = LoadSitesOf(ctx);
  std::set<std::string> seen;
  for (const GlobalUse& g : ctx.checkpoint.globals) {
    if (g.dynamic || g.module != "__main__" || g.name.empty()) continue;
    if (!seen.insert(g.name).second) continue;
    const std::string head = g.name.substr(0, g.name.find('.'));

    // The first load site that does not define the class fails; if every
    // load is in a script defining it, the checkpoint loads where it is used.
    const CallSite* failing = nullptr;
    for (const CallSite* s : loads) {
      if (!FileDefines(index, s->path, head)) {
        failing = s;
        break;
      }
    }
    if (!loads.empty() && failing == nullptr) continue;

    std::vector<const ClassInfo*> defs =
        ctx.project.has_source ? DefiningScripts(index, head) : std::vector<const ClassInfo*>{};
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(g.offset));
    d.message = "the checkpoint pickles `__main__." + g.name +
                "`, a class of the script that saved it; only a script that defines `" + head +
                "` at top level can load it";
    if (!defs.empty()) {
      d.message += " (defined in " + DisplayPath(defs.front()->path) + ":" +
                   std::to_string(defs.front()->position.line) + ")";
      for (const ClassInfo* c : defs) {
        RelatedLocation rel;
        rel.where = RangeAt(c->path, c->position);
        rel.message = "`" + head + "` is defined here, in a script run as __main__";
        d.related.push_back(std::move(rel));
      }
    }
    std::string script = failing != nullptr ? DisplayPath(failing->path) : "";
    if (!script.empty()) {
      std::string file = script.substr(script.rfind('/') == std::string::npos ? 0 : script.rfind('/') + 1);
      d.torch_error = "AttributeError: Can't get attribute '" + g.name +
                      "' on <module '__main__' from '.../" + file + "'>";
    } else {
      d.severity = Severity::kWarning;  // no load in the sources: it fails wherever it is loaded
      d.torch_error = "AttributeError: Can't get attribute '" + g.name + "' on <module '__main__' ...>";
    }
    std::string home = defs.empty() ? "a module (e.g. models.py)"
                                    : "a module imported by " + DisplayPath(defs.front()->path);
    d.fix = "Move `" + head + "` into " + home + " and save `model.state_dict()` instead of the "
            "object. To load this file once, define the alias first: `import __main__; "
            "__main__." + head + " = " + head + "` (with " + head + " imported), then re-save the "
            "state dict.";
    if (failing != nullptr) {
      PlaceOnSource(d, CallRange(*failing), "the checkpoint references `__main__." + g.name + "` here");
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
