#include "lsp/hover.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "rules/core/rule_util.h"
#include "rules/registry.h"

namespace ptlint::lsp {

namespace {

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

namespace {

// The drift rules (PTL2xx): what a class hover reports, as `check` does.
bool IsDrift(const Diagnostic& d) { return d.code.rfind("PTL2", 0) == 0; }

// Is a (possibly grouped) finding about this checkpoint? A grouped finding
// names each checkpoint it stands for among its instances.
bool FindingIsAbout(const Diagnostic& d, const std::string& checkpoint) {
  if (d.checkpoint == checkpoint) return true;
  return std::any_of(d.instances.begin(), d.instances.end(),
                     [&](const FindingInstance& i) { return i.checkpoint == checkpoint; });
}

// A finding's headline on one line, not too long for a hover.
std::string OneLine(const std::string& message) {
  std::string s = message.substr(0, message.find('\n'));
  if (s.size() > 240) s = s.substr(0, 237) + "...";
  return s;
}

std::string WhereOf(const Diagnostic& d) {
  if (d.location.line <= 0) return d.location.path;
  return d.location.path + ":" + std::to_string(d.location.line);
}

// "PTL203 at model.py:9 (2×), PTL205 at load.py:6": each code and place once.
std::string Places(const std::vector<const Diagnostic*>& ds) {
  std::vector<std::pair<std::string, int>> seen;
  for (const Diagnostic* d : ds) {
    std::string place = d->code + " at " + WhereOf(*d);
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& p) { return p.first == place; });
    if (it == seen.end()) {
      seen.emplace_back(place, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (size_t i = 0; i < seen.size() && i < 6; ++i) {
    out += (i ? ", " : "") + seen[i].first + (seen[i].second > 1 ? " (" + std::to_string(seen[i].second) + "×)" : "");
  }
  if (seen.size() > 6) out += " and " + std::to_string(seen.size() - 6) + " more";
  return out;
}

// What the rules concluded for a bound checkpoint none of whose drift
// findings `check` reports: why it was not compared, or that it loads cleanly.
// `other` are the checkpoint's other findings.
std::string QuietVerdict(const AnalyzedCheckpoint& ac, const std::vector<const Diagnostic*>& other) {
  std::ostringstream md;
  if (ac.restored_whole) {
    md << "whole module pickled; torch.load restores it as saved — not compared with today's `__init__`";
  } else if (!ac.expected) {
    md << "no prediction" << (ac.prediction_error.empty() ? "" : " (" + ac.prediction_error + ")")
       << ", so not compared";
  } else if (!ac.binding.keys_followed) {
    md << "not compared: " << ac.binding.note;
  } else if (!ac.diff.value) {
    md << "not compared";
  } else if (!ac.unreported_drift.empty()) {
    md << "the construction is not known, so differences from the prediction (" << ac.unreported_drift
       << ") are not reported: ptlint cannot tell whether it loads";
  } else {
    const StateDictDiff& diff = *ac.diff.value;
    const bool differs = !diff.extra_prefix.empty() || !diff.missing_prefix.empty() || !diff.renames.empty() ||
                         !diff.missing.empty() || !diff.unexpected.empty() || !diff.mismatches.empty() ||
                         !diff.unexpected_entries.empty();
    if (differs) {
      // The rules found it and the finding was suppressed or not selected.
      md << "differs from the prediction, but `ptlint check` reports no drift for it (suppressed or not selected)";
    } else {
      // "Loads cleanly" is the drift rules' verdict; another error on the
      // file (it cannot be unpickled, say) must not be talked over.
      const bool other_errors = std::any_of(other.begin(), other.end(), [](const Diagnostic* d) {
        return d->severity == Severity::kError;
      });
      md << (other_errors ? "keys and shapes match this class, no drift finding (" : "state dict loads cleanly (")
         << diff.checkpoint_keys << " keys";
      size_t uncertain = diff.checkpoint_keys >= diff.matched ? diff.checkpoint_keys - diff.matched : 0;
      if (uncertain > 0) {
        md << "; " << uncertain << " of them under parts the prediction cannot be certain of";
        std::vector<std::string> open;
        for (const OpenSubtree& o : ac.expected->open) open.push_back(o.prefix.empty() ? "(all)" : o.prefix);
        if (!open.empty()) md << " (open: " << ListOf(open, [](const std::string& s) { return s; }, 4) << ")";
        md << ", accepted without comparison";
      }
      md << ")";
    }
  }
  return md.str();
}

// The drift findings (PTL2xx) `check` reports about this checkpoint, and its
// other findings.
void FindingsAbout(const Workspace& ws, const AnalyzedCheckpoint& ac, std::vector<const Diagnostic*>* drift,
                   std::vector<const Diagnostic*>* other) {
  for (const Diagnostic& d : ws.diagnostics()) {
    if (FindingIsAbout(d, ac.display_path)) (IsDrift(d) ? drift : other)->push_back(&d);
  }
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
    // What the drift rules concluded, as `check` reports it (the class hover
    // says the same).
    std::vector<const Diagnostic*> drift, other;
    FindingsAbout(ws, ac, &drift, &other);
    md << "- drift: " << (drift.empty() ? QuietVerdict(ac, other) : Places(drift)) << "\n";
  } else if (b.how == "ambiguous") {
    md << "- binding ambiguous between " << ListOf(b.candidates, [](const std::string& s) { return s; }) << "\n";
  }
  return md.str();
}

ClassLines ClassLineRange(const Workspace& ws, const ClassInfo& cls) {
  ClassLines r{cls.position.line, cls.position.line};
  const IndexedFile* file = RawFile(ws, cls.path);
  if (file == nullptr) return r;
  // The tree knows where the body ends (materialising keeps the class's
  // address and fills its node in).
  ws.project().index.Materialize(*file);
  if (!ts_node_is_null(cls.node) && ts_node_start_point(cls.node).row + 1 == cls.position.line) {
    TSPoint end = ts_node_end_point(cls.node);
    uint32_t last = end.column == 0 && end.row > 0 ? end.row : end.row + 1;
    r.last = std::max(r.first, last);
    return r;
  }
  // No tree: the body is every following line indented deeper than `class`
  // (blank and comment lines do not end it).
  const std::string& text = file->parsed.source;
  size_t start = 0;
  size_t indent = std::string::npos;
  for (uint32_t n = 1; start < text.size(); ++n) {
    size_t stop = text.find('\n', start);
    if (stop == std::string::npos) stop = text.size();
    std::string_view line(text.data() + start, stop - start);
    start = stop + 1;
    size_t lead = line.find_first_not_of(" \t\r\f");
    if (n == cls.position.line) {
      indent = lead == std::string_view::npos ? 0 : lead;
      continue;
    }
    if (n < cls.position.line || lead == std::string_view::npos || line[lead] == '#') continue;
    if (lead <= indent) break;
    r.last = n;
  }
  return r;
}

// What the class hover says comes from the facts `ptlint check` reports from:
// the workspace's diagnostics (LintProject on the same ProjectAnalysis) and
// the bindings LinkProject made. Per checkpoint that is bound to the class,
// or whose drift findings land in its lines, or whose bound class builds it:
// the binding, then what the rules concluded — the drift findings at lines of
// this class, the ones elsewhere, or that the state dict loads cleanly only
// when no drift finding is about that checkpoint at all.
std::string ClassSummaryMarkdown(const Workspace& ws, const ClassInfo& cls) {
  const ProjectAnalysis& project = ws.project();
  std::ostringstream md;
  md << "**" << cls.qualified_name << "**";
  ModuleClassification kind = project.index.Classify(cls);
  md << (kind.kind == ModuleKind::kModule ? " (nn.Module)" : "") << "\n\n";
  const ClassLines lines = ClassLineRange(ws, cls);
  auto in_class = [&](const Diagnostic& d) {
    return d.location.line >= static_cast<int>(lines.first) && d.location.line <= static_cast<int>(lines.last) &&
           ws.Absolute(d.location.path) == cls.path;
  };
  int listed = 0;
  for (const AnalyzedCheckpoint& ac : project.checkpoints) {
    const CheckpointBinding& b = ac.binding;
    const bool bound_here = b.cls == cls.qualified_name;
    const bool ambiguous_here =
        b.how == "ambiguous" && std::find(b.candidates.begin(), b.candidates.end(), cls.qualified_name) != b.candidates.end();
    std::vector<const Diagnostic*> here, elsewhere, other;
    for (const Diagnostic& d : ws.diagnostics()) {
      if (!FindingIsAbout(d, ac.display_path)) continue;
      if (!IsDrift(d)) {
        other.push_back(&d);
      } else {
        (in_class(d) ? here : elsewhere).push_back(&d);
      }
    }
    // The bound class builds this one (a `Block` inside a bound `GPT`): a
    // key of the prediction is registered by it or on one of its lines.
    bool builds_this = false;
    if (!bound_here && !b.cls.empty() && ac.expected) {
      for (const PredictedKey& k : ac.expected->keys) {
        bool on_its_lines = k.location.line >= lines.first && k.location.line <= lines.last &&
                            ws.Absolute(k.location.path) == cls.path;
        if (k.owner_class == cls.qualified_name || on_its_lines) {
          builds_this = true;
          break;
        }
      }
    }
    if (!bound_here && !ambiguous_here && here.empty() && !builds_this) continue;
    ++listed;
    md << "- **" << ac.display_path << "** — ";
    if (bound_here) {
      md << "bound to this class (" << b.how << (b.factory.empty() ? "" : " through `" + b.factory + "`") << ")";
    } else if (ambiguous_here) {
      md << "binding ambiguous between " << ListOf(b.candidates, [](const std::string& s) { return s; })
         << ": not compared, no drift finding\n";
      continue;
    } else if (!b.cls.empty()) {
      md << "bound to `" << b.cls << "` (" << b.how << ")" << (builds_this ? ", which builds this class" : "");
    } else {
      md << "not bound to a class";
    }
    if (ac.as_loaded && b.call_site >= 0) {
      const CallSite& site = project.call_sites[static_cast<size_t>(b.call_site)];
      md << "; keys compared as renamed at the load site (" << DisplayPath(site.path) << ":" << site.start.line
         << "), after the rewrite";
    }
    auto list = [&](const std::vector<const Diagnostic*>& ds) {
      for (const Diagnostic* d : ds) {
        md << "  - " << d->code << " (" << SeverityName(d->severity) << ", " << WhereOf(*d)
           << "): " << OneLine(d->message) << "\n";
      }
    };
    if (!here.empty()) {
      md << ":\n";
      list(here);
      if (!elsewhere.empty()) md << "  - and elsewhere: " << Places(elsewhere) << "\n";
    } else if (!elsewhere.empty()) {
      md << ": no drift finding in this class; elsewhere:\n";
      list(elsewhere);
    } else if (!bound_here) {
      md << ": no drift finding in this class\n";
    } else {
      md << ": " << QuietVerdict(ac, other) << "\n";
    }
    if (bound_here && !other.empty()) md << "  - other findings on this checkpoint: " << Places(other) << "\n";
  }
  if (listed == 0) md << "No checkpoint in the workspace is bound to this class, and no drift finding lands in it.\n";
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
