#include "analyzer/check_command.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "analyzer/checkpoint_discovery.h"
#include "analyzer/checkpoint_reader.h"
#include "analyzer/pickle_safety.h"
#include "analyzer/project_analysis.h"
#include "analyzer/project_config.h"
#include "analyzer/state_dict_diff.h"
#include "analyzer/report_formats.h"
#include "rules/registry.h"

namespace ptlint {
namespace fs = std::filesystem;

namespace {

const char kUsage[] =
    "usage: ptlint [check] PATH... [options]\n"
    "  PATH                      folders and files; sources and checkpoints are told apart by content\n"
    "  --output-format FORMAT    full (default), concise, json, sarif, github, junit\n"
    "  -o, --output-file FILE    write the report to FILE\n"
    "  --select CODES            comma-separated codes or prefixes (PTL5, PTL503, ALL)\n"
    "  --ignore CODES            codes or prefixes to drop\n"
    "  --torch-version X.Y       the torch the project loads with (else config, else pins)\n"
    "  --bind CKPT=pkg.mod.Class the class a checkpoint belongs to (else call sites, structure)\n"
    "  --strict                  unknown globals are errors\n"
    "  --exit-zero               exit 0 even when there are findings\n"
    "  --statistics              counts per rule after the findings\n"
    "exit: 0 clean, 1 findings, 2 usage or internal error\n";

std::vector<std::string> SplitCodes(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

struct CheckOptions {
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::kFull;
  std::string output_file;
  std::vector<std::string> select, ignore;
  bool select_given = false, ignore_given = false;
  std::string torch_version;
  std::map<std::string, std::string> bind;  // --bind CKPT=pkg.mod.Class
  bool strict = false;
  bool exit_zero = false;
  bool statistics = false;
};

// Parses argv; returns 0 to go on, or an exit code.
int ParseArgs(const std::vector<std::string>& args, CheckOptions& o, std::ostream& out,
              std::ostream& err) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    auto take = [&](const char* name) -> bool {
      std::string n = name;
      if (a == n) {
        if (i + 1 >= args.size()) {
          err << "ptlint: " << n << " needs a value\n";
          return false;
        }
        value = args[++i];
        return true;
      }
      if (a.rfind(n + "=", 0) == 0) {
        value = a.substr(n.size() + 1);
        return true;
      }
      return false;
    };
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return -1;
    } else if (a == "--strict") {
      o.strict = true;
    } else if (a == "--exit-zero") {
      o.exit_zero = true;
    } else if (a == "--statistics") {
      o.statistics = true;
    } else if (a.rfind("--output-format", 0) == 0) {
      if (!take("--output-format")) return 2;
      auto f = ParseOutputFormat(value);
      if (!f) {
        err << "ptlint: unknown output format '" << value
            << "' (full, concise, json, sarif, github, junit)\n";
        return 2;
      }
      o.format = *f;
    } else if (a == "-o" || a.rfind("--output-file", 0) == 0) {
      if (a == "-o") a = "--output-file";
      if (!take("--output-file")) return 2;
      o.output_file = value;
    } else if (a.rfind("--select", 0) == 0) {
      if (!take("--select")) return 2;
      auto codes = SplitCodes(value);
      o.select.insert(o.select.end(), codes.begin(), codes.end());
      o.select_given = true;
    } else if (a.rfind("--ignore", 0) == 0) {
      if (!take("--ignore")) return 2;
      auto codes = SplitCodes(value);
      o.ignore.insert(o.ignore.end(), codes.begin(), codes.end());
      o.ignore_given = true;
    } else if (a.rfind("--bind", 0) == 0) {
      if (!take("--bind")) return 2;
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
        err << "ptlint: --bind takes CKPT=pkg.module.Class, got '" << value << "'\n";
        return 2;
      }
      o.bind[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (a.rfind("--torch-version", 0) == 0) {
      if (!take("--torch-version")) return 2;
      o.torch_version = value;
    } else if (a.size() > 1 && a[0] == '-') {
      err << "ptlint: unknown option " << a << "\n" << kUsage;
      return 2;
    } else {
      o.paths.push_back(a);
    }
  }
  return 0;
}

// `# ptlint: ignore[PTL201]` (or `# noqa: PTL201`) on a finding's source line
// drops it; a bare `# ptlint: ignore` drops every finding on the line.
bool LineSuppresses(const std::string& line, const std::string& code) {
  for (const char* marker : {"# ptlint: ignore", "#ptlint: ignore", "# noqa"}) {
    size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    std::string rest = line.substr(at + std::strlen(marker));
    size_t first = rest.find_first_not_of(" :[");
    if (first == std::string::npos) return true;  // blanket
    rest = rest.substr(first);
    size_t end = rest.find_first_of("]#");
    std::string codes = rest.substr(0, end);
    for (const std::string& c : SplitCodes(codes)) {
      if (code.rfind(c, 0) == 0) return true;
    }
    if (codes.find_first_not_of(" ") == std::string::npos) return true;
  }
  return false;
}

void ApplySuppressions(std::vector<Diagnostic>& ds) {
  std::map<std::string, std::vector<std::string>> files;
  auto line_of = [&](const std::string& path, int line) -> const std::string* {
    auto it = files.find(path);
    if (it == files.end()) {
      std::vector<std::string> lines;
      std::ifstream in(path);
      std::string l;
      while (std::getline(in, l)) lines.push_back(l);
      it = files.emplace(path, std::move(lines)).first;
    }
    if (line < 1 || static_cast<size_t>(line) > it->second.size()) return nullptr;
    return &it->second[static_cast<size_t>(line - 1)];
  };
  ds.erase(std::remove_if(ds.begin(), ds.end(),
                          [&](const Diagnostic& d) {
                            if (d.location.line <= 0) return false;
                            const std::string* l = line_of(d.location.path, d.location.line);
                            return l != nullptr && LineSuppresses(*l, d.code);
                          }),
           ds.end());
}

}  // namespace

int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CheckOptions o;
  int rc = ParseArgs(args, o, out, err);
  if (rc == -1) return 0;
  if (rc != 0) return rc;

  auto config = LoadProjectConfig(o.paths.empty() ? "." : o.paths.front());
  if (!config.ok()) {
    err << "ptlint: " << config.error().message << "\n";
    return 2;
  }
  if (o.paths.empty()) {
    for (const std::string& p : config->src) o.paths.push_back((fs::path(config->root) / p).string());
    for (const std::string& p : config->checkpoints) {
      o.paths.push_back((fs::path(config->root) / p).string());
    }
  }
  if (o.paths.empty()) {
    err << kUsage;
    return 2;
  }
  if (!o.select_given) o.select = config->select;
  if (!o.ignore_given) o.ignore = config->ignore;
  for (const std::string& code : o.select) {
    if (code != "ALL" && code.rfind("PTL", 0) != 0) {
      err << "ptlint: --select: '" << code << "' is not a rule code or prefix (e.g. PTL5)\n";
      return 2;
    }
  }

  // The torch version: flag, then config, then the project's own pins.
  std::string torch_text = o.torch_version;
  if (torch_text.empty()) torch_text = config->torch_version;
  if (torch_text.empty()) {
    torch_text = DetectPinnedTorchVersion(config->root.empty() ? fs::path(o.paths.front()).parent_path().string()
                                                               : config->root);
  }
  TorchVersion torch = TorchVersion::kCurrent;
  if (!torch_text.empty()) {
    auto v = ParseTorchVersion(torch_text);
    if (!v) {
      err << "ptlint: torch version '" << torch_text << "' is not a version (e.g. 2.6)\n";
      return 2;
    }
    torch = *v;
  }
  SafetyContext safety;
  safety.torch_version = torch;
  safety.safe_globals.insert(config->safe_globals.begin(), config->safe_globals.end());

  for (const std::string& p : o.paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      err << "ptlint: " << p << ": no such file or directory\n";
      return 2;
    }
  }
  AnalysisOptions analysis;
  analysis.torch_version = torch;
  analysis.torch_version_text = torch_text;
  analysis.safety = safety;
  analysis.strict = o.strict;
  for (const auto& [ckpt, cls] : config->bind) analysis.bind[ckpt] = cls;
  for (const auto& [ckpt, cls] : o.bind) analysis.bind[ckpt] = cls;
  std::unique_ptr<ProjectAnalysis> project = AnalyzeProject(o.paths, analysis);
  // The project's own classes are trusted by the security rules (allowlist-first).
  const ProjectAnalysis* proj = project.get();
  if (proj->has_source) {
    safety.project_class = [proj](std::string_view module, std::string_view name) {
      return proj->FindProjectClass(std::string(module), std::string(name)) != nullptr;
    };
  }

  std::vector<Diagnostic> diagnostics;
  for (const AnalyzedCheckpoint& ac : project->checkpoints) {
    std::optional<StateDictDiff> diff;
    if (ac.expected) diff = DiffStateDict(*ac.expected, ac.checkpoint);
    std::optional<PickleSafetyReport> report;
    if (RuleSelected("PTL6", o.select, o.ignore) || RuleSelected("PTL601", o.select, o.ignore) ||
        RuleSelected("PTL602", o.select, o.ignore) || RuleSelected("PTL603", o.select, o.ignore) ||
        RuleSelected("PTL604", o.select, o.ignore)) {
      PickleSafetyOptions so;
      so.context = safety;
      so.strict = o.strict;
      report = AnalyzePickleSafety(ac.checkpoint, so);
    }
    CheckpointContext ctx{ac.checkpoint, ac.display_path, torch, o.strict, safety,
                          *project, ac, diff ? &*diff : nullptr, report ? &*report : nullptr};
    for (const Rule* rule : AllRules()) {
      if (!RuleSelected(rule->info().code, o.select, o.ignore)) continue;
      rule->CheckCheckpoint(ctx, diagnostics);
    }
  }
  ProjectContext pctx{*project};
  for (const Rule* rule : AllRules()) {
    if (RuleSelected(rule->info().code, o.select, o.ignore)) rule->CheckProject(pctx, diagnostics);
  }
  ApplySuppressions(diagnostics);
  // Rules may emit codes of related rules (PTL303 beside PTL6xx): filter again.
  diagnostics.erase(std::remove_if(diagnostics.begin(), diagnostics.end(),
                                   [&](const Diagnostic& d) {
                                     return !RuleSelected(d.code, o.select, o.ignore);
                                   }),
                    diagnostics.end());
  std::sort(diagnostics.begin(), diagnostics.end(), DiagnosticLess);

  ReportSummary summary;
  summary.files_checked = project->checkpoints.size() + project->python_files.size();
  summary.statistics = o.statistics;
  for (const AnalyzedCheckpoint& ac : project->checkpoints) {
    CheckpointReport r;
    r.path = ac.display_path;
    r.format = ContainerFormatName(ac.checkpoint.format);
    r.layout = LayoutName(ac.checkpoint.layout);
    r.binding_class = ac.binding.cls;
    r.binding_how = ac.binding.how;
    r.binding_score = ac.binding.score;
    r.candidates = ac.binding.candidates;
    summary.checkpoints.push_back(std::move(r));
  }
  std::sort(summary.checkpoints.begin(), summary.checkpoints.end(),
            [](const CheckpointReport& a, const CheckpointReport& b) { return a.path < b.path; });
  if (o.output_file.empty()) {
    RenderReport(o.format, diagnostics, summary, out);
  } else {
    std::ofstream file(o.output_file, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "ptlint: cannot write " << o.output_file << "\n";
      return 2;
    }
    RenderReport(o.format, diagnostics, summary, file);
  }
  if (o.exit_zero) return 0;
  return diagnostics.empty() ? 0 : 1;
}

int RunRuleCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << "usage: ptlint rule CODE | --all\n";
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--all") {
    for (const Rule* r : AllRules()) {
      out << r->info().code << "  " << r->info().name << "  (" << SeverityName(r->info().default_severity)
          << ")  " << r->info().summary << "\n";
    }
    return 0;
  }
  std::string_view doc = RuleDocumentation(args[0]);
  if (doc.empty()) {
    err << "ptlint rule: unknown rule code '" << args[0] << "' (see `ptlint rule --all`)\n";
    return 2;
  }
  out << doc;
  if (doc.back() != '\n') out << "\n";
  return 0;
}

}  // namespace ptlint
