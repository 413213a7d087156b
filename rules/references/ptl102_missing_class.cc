#include "rules/references/ptl102_missing_class.h"

#include <set>

#include "analyzer/checkpoint/global_origin.h"
#include "rules/core/quick_fix.h"
#include "rules/core/source_rule_support.h"

namespace ptlint {

const RuleInfo& MissingClassRule::info() const {
  static const RuleInfo kInfo{"PTL102", "missing-class", Severity::kError,
                              "A pickled class's module exists but no longer defines it"};
  return kInfo;
}

namespace {

// Does `file` bind `head` at module level (class, function, assignment,
// import), or could it bind it in a way ptlint cannot see (star imports
// that do not resolve, a module-level __getattr__)?
bool BindsOrMightBind(const ModuleIndex& index, const IndexedFile& file, const std::string& name) {
  const std::string head = name.substr(0, name.find('.'));
  for (const ClassInfo& c : file.classes) {
    if (!c.nested && c.name == head) return true;
  }
  for (const FunctionInfo& f : file.functions) {
    if (f.name == head || f.name == "__getattr__") return true;
  }
  if (file.assignments.count(head)) return true;
  for (const ImportBinding& b : file.imports) {
    if (b.local_name == head) return true;
  }
  if (!file.star_imports.empty()) {
    Symbol s = index.Resolve(file.info.module_name, head);
    // An unresolved star import could bind anything: do not claim it is gone.
    if (s.kind != Symbol::Kind::kUnresolved) return true;
    for (const std::string& star : file.star_imports) {
      if (index.FindModule(star) == nullptr) return true;
    }
  }
  // A submodule of a package is an attribute once imported; not a class, but
  // not "gone" either.
  if (file.info.is_package && index.FindModule(file.info.module_name + "." + head) != nullptr) {
    return true;
  }
  return false;
}

}  // namespace

void MissingClassRule::CheckCheckpoint(const CheckpointContext& ctx, std::vector<Diagnostic>& out) const {
  if (!ctx.project.has_source) return;
  const ModuleIndex& index = ctx.project.index;
  std::vector<const CallSite*> loads = LoadSitesOf(ctx);
  std::set<std::string> seen;
  for (const GlobalUse& g : ctx.checkpoint.globals) {
    if (g.dynamic || g.module.empty() || g.name.empty() || g.module == "__main__") continue;
    if (ClassifyGlobalOrigin(g.module) != GlobalOrigin::kProject) continue;
    if (!seen.insert(g.module + "\n" + g.name).second) continue;
    const IndexedFile* file = index.FindModule(g.module);
    if (file == nullptr || file->has_syntax_errors) continue;  // PTL101's, or unknowable
    if (BindsOrMightBind(index, *file, g.name)) continue;

    const std::string simple = SimpleName(g.name);
    Diagnostic d = CheckpointDiagnostic(info(), ctx, static_cast<int64_t>(g.offset));
    d.message = "the checkpoint pickles `" + g.module + "." + g.name + "`, but module `" + g.module +
                "` (" + DisplayPath(file->info.path) + ") no longer defines `" + g.name + "`";
    d.torch_error = "AttributeError: Can't get attribute '" + g.name + "' on " +
                    ModuleReprFromFile(g.module, file->info.is_package);

    // Candidates: the same simple name elsewhere (moved), then close names in
    // the same module (renamed).
    std::vector<const ClassInfo*> candidates;
    for (const ClassInfo* c : ClassesNamed(index, simple)) {
      candidates.push_back(c);
      RelatedLocation rel;
      rel.where = RangeAt(c->path, c->position);
      rel.message = "`" + simple + "` is defined here now (" + c->qualified_name + ")";
      d.related.push_back(std::move(rel));
    }
    std::vector<std::pair<size_t, const ClassInfo*>> close;
    const size_t cap = std::max<size_t>(2, simple.size() / 3);
    for (const ClassInfo& c : file->classes) {
      if (c.nested) continue;
      size_t dist = EditDistance(simple, c.name, cap);
      if (dist <= cap) close.emplace_back(dist, &c);
    }
    std::stable_sort(close.begin(), close.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [dist, c] : close) {
      candidates.push_back(c);
      RelatedLocation rel;
      rel.where = RangeAt(c->path, c->position);
      rel.message = "`" + c->name + "` in the same module may be `" + simple + "` renamed";
      d.related.push_back(std::move(rel));
    }
    if (!candidates.empty()) {
      d.message += "; candidates: ";
      for (size_t i = 0; i < candidates.size() && i < 5; ++i) {
        d.message += (i ? ", `" : "`") + candidates[i]->qualified_name + "`";
      }
    }
    if (candidates.empty()) {
      d.fix = "Restore `" + g.name + "` in " + g.module + " (or check out the code the checkpoint "
              "was saved with), load once, and re-save `model.state_dict()`.";
    } else {
      const ClassInfo& to = *candidates.front();
      std::string alias = to.module == g.module
                              ? simple + " = " + to.name
                              : (to.name == simple ? "from " + to.module + " import " + simple
                                                   : "from " + to.module + " import " + to.name +
                                                         " as " + simple);
      d.fix = "If `" + to.qualified_name + "` is the same class, bind the old name where the pickle "
              "looks for it (in " + DisplayPath(file->info.path) + ": `" + alias + "`), load once, "
              "and re-save `model.state_dict()` so the checkpoint no longer depends on class names.";
      // The fix: that alias, at the end of the module the pickle names.
      if (auto edit = AppendLine(ctx.project, file->info.path, alias)) d.edits.push_back(std::move(*edit));
    }
    if (!loads.empty()) {
      PlaceOnSource(d, CallRange(*loads.front()),
                    "the checkpoint references `" + g.module + "." + g.name + "` here");
    }
    out.push_back(std::move(d));
  }
}

}  // namespace ptlint
