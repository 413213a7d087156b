#include "rules/references/ptl101_unresolved_module.h"

#include <filesystem>
#include <map>
#include <set>

#include "analyzer/checkpoint/global_origin.h"
#include "rules/core/source_rule_support.h"

namespace ptlint {
namespace fs = std::filesystem;

const RuleInfo& UnresolvedModuleRule::info() const {
  static const RuleInfo kInfo{"PTL101", "unresolved-module", Severity::kError,
                              "A pickled class's module is not in the sources or a known library"};
  return kInfo;
}

namespace {

// A dotted name is importable from the sources when it is a module file or a
// package folder (with or without __init__.py: Python 3 namespace packages).
bool ModuleExists(const ModuleIndex& index, const std::string& dotted) {
  if (index.FindModule(dotted) != nullptr) return true;
  const std::string prefix = dotted + ".";
  for (const auto& f : index.files()) {
    if (f && f->info.module_name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The folder to put on sys.path so that `pickled_module` resolves to the
// file `cls` is in, when `cls->module` ends with `pickled_module`
// ("yolo.models.yolo" for "models.yolo": the folder holding `models/`).
std::string SysPathEntryFor(const ClassInfo& cls, const std::string& pickled_module) {
  const std::string& have = cls.module;
  if (have.size() <= pickled_module.size() ||
      have.compare(have.size() - pickled_module.size(), pickled_module.size(), pickled_module) != 0 ||
      have[have.size() - pickled_module.size() - 1] != '.') {
    return {};
  }
  fs::path dir = fs::path(cls.path).parent_path();
  // A package's __init__.py names the folder itself; a module file sits in it.
  bool is_init = fs::path(cls.path).filename() == "__init__.py";
  size_t components = 1;
  for (char c : pickled_module) components += c == '.' ? 1 : 0;
  size_t up = is_init ? components : components - 1;
  for (size_t i = 0; i < up; ++i) dir = dir.parent_path();
  std::string shown = DisplayPath(dir.empty() ? std::string(".") : dir.string());
  return shown.empty() ? "." : shown;
}

}  // namespace

std::string FirstMissingModule(const ModuleIndex& index, const std::string& module) {
  size_t pos = 0;
  while (true) {
    size_t dot = module.find('.', pos);
    std::string prefix = module.substr(0, dot);
    if (!ModuleExists(index, prefix)) return prefix;
    if (dot == std::string::npos) return {};
    pos = dot + 1;
  }
}

void UnresolvedModuleRule::CheckCheckpoint(const CheckpointContext& ctx,
                                           std::vector<Diagnostic>& out) const {
  // Without sources every project global would look unresolved: say nothing.
  if (!ctx.project.has_source) return;
  const ModuleIndex& index = ctx.project.index;

  // Group by the module Python will name, in the order the pickle meets them:
  // the first one stops the load, the rest would fail next.
  struct Missing {
    uint64_t offset = 0;
    std::vector<std::pair<std::string, std::string>> globals;  // module, name
  };
  std::vector<std::string> order;
  std::map<std::string, Missing> missing;
  std::set<std::string> seen;
  for (const GlobalUse& g : ctx.checkpoint.globals) {
    if (g.dynamic || g.module.empty() || g.module == "__main__") continue;
    if (ClassifyGlobalOrigin(g.module) != GlobalOrigin::kProject) continue;
    if (!seen.insert(g.module + "\n" + g.name).second) continue;
    std::string absent = FirstMissingModule(index, g.module);
    if (absent.empty()) continue;
    auto [it, fresh] = missing.try_emplace(absent);
    if (fresh) {
      it->second.offset = g.offset;
      order.push_back(absent);
    }
    it->second.globals.emplace_back(g.module, g.name);
  }

  std::vector<const CallSite*> loads = LoadSitesOf(ctx);
  for (const std::string& absent : order) {
    const Missing& m = missing[absent];
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(m.offset));
    std::string names;
    for (size_t i = 0; i < m.globals.size() && i < 4; ++i) {
      names += (i ? ", `" : "`") + m.globals[i].first + "." + m.globals[i].second + "`";
    }
    if (m.globals.size() > 4) names += " and " + std::to_string(m.globals.size() - 4) + " more";
    d.message = "the checkpoint pickles " + names + " from module `" + absent +
                "`, which is neither in the sources nor a known library";
    d.torch_error = "ModuleNotFoundError: No module named '" + absent + "'";

    // Where do classes of those names live now?
    std::string found_text;
    std::string sys_path_entry;
    bool all_by_sys_path = true;
    std::string alias_example;
    for (const auto& [module, name] : m.globals) {
      std::vector<const ClassInfo*> now = ClassesNamed(index, SimpleName(name));
      if (now.empty()) {
        all_by_sys_path = false;
        continue;
      }
      const ClassInfo* c = now.front();
      RelatedLocation rel;
      rel.where = RangeAt(c->path, c->position);
      rel.message = "a class `" + c->name + "` is defined here (" + c->qualified_name + ")";
      d.related.push_back(std::move(rel));
      if (found_text.empty()) {
        found_text = " A class `" + c->name + "` is defined in " + DisplayPath(c->path) + ":" +
                     std::to_string(c->position.line) + " (" + c->qualified_name + ")";
        if (now.size() > 1) found_text += " and " + std::to_string(now.size() - 1) + " other place(s)";
        found_text += ".";
      }
      std::string entry = SysPathEntryFor(*c, module);
      if (entry.empty() || (!sys_path_entry.empty() && entry != sys_path_entry)) all_by_sys_path = false;
      if (!entry.empty() && sys_path_entry.empty()) sys_path_entry = entry;
      if (alias_example.empty()) {
        alias_example = "`sys.modules[\"" + module + "\"] = importlib.import_module(\"" + c->module +
                        "\")`";
      }
    }
    d.message += "." + found_text;
    if (all_by_sys_path && !sys_path_entry.empty()) {
      d.fix = "The classes are where the pickle expects them relative to `" + sys_path_entry +
              "`: put that folder on sys.path before loading (`sys.path.insert(0, \"" +
              sys_path_entry + "\")` or PYTHONPATH=" + sys_path_entry +
              "), or load once that way and re-save `model.state_dict()`.";
    } else if (!alias_example.empty()) {
      d.fix = "Make the old module name importable as an alias of the new one before loading, "
              "e.g. " + alias_example + ", then re-save `model.state_dict()` so the checkpoint "
              "no longer depends on module paths.";
    } else {
      d.fix = "Restore module `" + absent + "` (or put the folder that holds it on sys.path), load "
              "once, and re-save `model.state_dict()` so the checkpoint no longer depends on "
              "module paths.";
    }
    if (!loads.empty()) {
      PlaceOnSource(d, CallRange(*loads.front()), "the checkpoint references `" + absent + "` here");
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
