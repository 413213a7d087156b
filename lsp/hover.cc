#include "lsp/hover.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "rules/registry.h"

namespace ptlint::lsp {

namespace {

std::string Shape(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

template <typename T, typename F>
std::string ListOf(const std::vector<T>& items, F name, size_t max_items = 8) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) s += (i ? ", " : "") + ("`" + name(items[i]) + "`");
  if (items.size() > max_items) s += " and " + std::to_string(items.size() - max_items) + " more";
  return s;
}

const IndexedFile* RawFile(const Workspace& ws, const std::string& path) {
  for (const auto& f : ws.project().index.files()) {
    if (f && f->info.path == path) return f.get();
  }
  return nullptr;
}

}  // namespace

std::string CheckpointSummaryMarkdown(const Workspace& ws, const AnalyzedCheckpoint& ac) {
  const Checkpoint& cp = ac.checkpoint;
  std::ostringstream md;
  md << "**" << ac.display_path << "** — " << ContainerFormatName(cp.format) << ", "
     << LayoutName(cp.layout);
  if (!cp.state_dict_path.empty()) md << " at `" << cp.state_dict_path << "`";
  md << "\n\n";
  size_t params = 0;
  std::set<std::string> devices, dtypes;
  for (const TensorInfo& t : cp.tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
    params += n;
    if (!t.location.empty()) devices.insert(t.location);
    if (!t.dtype.empty()) dtypes.insert(t.dtype);
  }
  md << "- tensors: " << cp.tensors.size() << " (" << params << " elements";
  if (!dtypes.empty()) md << "; " << ListOf(std::vector<std::string>(dtypes.begin(), dtypes.end()), [](auto& s) { return s; });
  if (!devices.empty()) md << "; on " << ListOf(std::vector<std::string>(devices.begin(), devices.end()), [](auto& s) { return s; });
  md << ")\n";
  if (!cp.top_level_keys.empty()) {
    md << "- top-level keys: " << ListOf(cp.top_level_keys, [](const std::string& s) { return s; }) << "\n";
  }
  std::set<std::string> globals;
  for (const GlobalUse& g : cp.globals) globals.insert(g.module + "." + g.name);
  if (!globals.empty()) {
    md << "- globals (" << globals.size() << "): "
       << ListOf(std::vector<std::string>(globals.begin(), globals.end()), [](auto& s) { return s; }, 10) << "\n";
  }
  // Safety, as the PTL6xx rules saw it (computed once, by LinkProject).
  const PickleSafetyReport& report = ac.safety;
  if (report.can_execute_code) {
    md << "- safety: **unsafe** — loading it can run code (";
  } else if (report.findings.empty()) {
    md << "- safety: no dangerous or unknown globals";
  } else {
    md << "- safety: no code-execution globals (";
  }
  if (!report.findings.empty()) {
    std::map<std::string, int> by_rule;
    for (const SafetyFinding& f : report.findings) by_rule[f.rule]++;
    bool first = true;
    for (const auto& [rule, n] : by_rule) {
      md << (first ? "" : ", ") << n << "× " << rule;
      first = false;
    }
    md << ")";
  }
  md << "\n";
  if (!cp.problems.empty()) {
    md << "- problems: " << ListOf(cp.problems, [](const ReaderProblem& p) { return p.message; }, 3) << "\n";
  }
  const CheckpointBinding& b = ac.binding;
  if (!b.cls.empty()) {
    md << "- bound to `" << b.cls << "` (" << b.how << ")\n";
  } else if (b.how == "ambiguous") {
    md << "- binding ambiguous between " << ListOf(b.candidates, [](const std::string& s) { return s; }) << "\n";
  }
  return md.str();
}

std::string ClassSummaryMarkdown(const Workspace& ws, const ClassInfo& cls) {
  std::ostringstream md;
  md << "**" << cls.qualified_name << "**";
  ModuleClassification kind = ws.project().index.Classify(cls);
  md << (kind.kind == ModuleKind::kModule ? " (nn.Module)" : "") << "\n\n";
  int bound = 0;
  for (const AnalyzedCheckpoint& ac : ws.project().checkpoints) {
    if (ac.binding.cls != cls.qualified_name) continue;
    ++bound;
    md << "- **" << ac.display_path << "** (bound by " << ac.binding.how << ")";
    if (!ac.expected) {
      md << ": no prediction" << (ac.prediction_error.empty() ? "" : " (" + ac.prediction_error + ")") << "\n";
      continue;
    }
    if (!ac.diff.value) {
      md << ": not compared yet\n";
      continue;
    }
    const StateDictDiff& diff = *ac.diff.value;
    md << ": " << diff.matched << "/" << diff.checkpoint_keys << " checkpoint keys match\n";
    if (!diff.extra_prefix.empty()) md << "  - every key carries the prefix `" << diff.extra_prefix << "`\n";
    for (const RenamedSubtree& r : diff.renames) {
      md << "  - renamed: `" << r.checkpoint_prefix << "` → `" << r.code_prefix << "` (" << r.keys.size()
         << " keys)\n";
    }
    if (!diff.missing.empty()) {
      md << "  - missing (" << diff.missing.size() << "): "
         << ListOf(diff.missing, [](const PredictedKey* k) { return k->key; }) << "\n";
    }
    if (!diff.unexpected.empty()) {
      md << "  - unexpected (" << diff.unexpected.size() << "): "
         << ListOf(diff.unexpected, [](const TensorInfo* t) { return t->name; }) << "\n";
    }
    for (size_t i = 0; i < diff.mismatches.size() && i < 8; ++i) {
      const ShapeMismatch& m = diff.mismatches[i];
      md << "  - shape: `" << m.actual->name << "` is " << Shape(m.actual->shape) << " in the checkpoint\n";
    }
  }
  if (bound == 0) md << "No checkpoint in the workspace is bound to this class.\n";
  return md.str();
}

std::optional<std::string> HoverMarkdown(const Workspace& ws, const std::string& path, uint32_t line,
                                         size_t byte_column) {
  const ProjectAnalysis& project = ws.project();
  const uint32_t line1 = line + 1;
  const uint32_t col1 = static_cast<uint32_t>(byte_column) + 1;
  // 1. The path of a torch.load / torch.jit.load.
  for (size_t s = 0; s < project.call_sites.size(); ++s) {
    const CallSite& site = project.call_sites[s];
    if (site.kind != CallKind::kTorchLoad && site.kind != CallKind::kJitLoad) continue;
    if (site.path != path) continue;
    bool after_start = line1 > site.start.line || (line1 == site.start.line && col1 >= site.start.column);
    bool before_end = line1 < site.end.line || (line1 == site.end.line && col1 <= site.end.column);
    if (!after_start || !before_end) continue;
    std::string md;
    for (const AnalyzedCheckpoint& ac : project.checkpoints) {
      if (std::find(ac.load_sites.begin(), ac.load_sites.end(), static_cast<int>(s)) != ac.load_sites.end()) {
        md += CheckpointSummaryMarkdown(ws, ac) + "\n";
      }
    }
    if (md.empty()) {
      md = site.checkpoint.known() ? "`" + site.checkpoint.text + "`: no such checkpoint in the workspace\n"
                                   : "the path of this load cannot be followed statically\n";
    }
    return md;
  }
  // 2. A class line.
  if (const IndexedFile* f = RawFile(ws, path)) {
    for (const ClassInfo& c : f->classes) {
      if (c.position.line == line1) return ClassSummaryMarkdown(ws, c);
    }
  }
  // 3. A diagnostic's rule.
  for (const Diagnostic& d : ws.diagnostics()) {
    if (d.location.line != static_cast<int>(line1) || ws.Absolute(d.location.path) != path) continue;
    std::string_view doc = RuleDocumentation(d.code);
    if (!doc.empty()) return std::string(doc);
  }
  return std::nullopt;
}

}  // namespace ptlint::lsp
