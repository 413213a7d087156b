#include "cli/check_command.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "analyzer/checkpoint/checkpoint_discovery.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/project_analysis.h"
#include "analyzer/config/project_config.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "render/report_formats.h"
#include "rules/lint.h"
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
    "  --force-exclude           apply the config's `exclude` to paths named here too\n"
    "  --exit-zero               exit 0 even when there are findings\n"
    "  --statistics              counts per rule after the findings\n"
    "exit: 0 clean, 1 findings, 2 usage or internal error\n";

struct CheckOptions {
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::kFull;
  std::string output_file;
  LintOverrides lint;  // --select, --ignore, --torch-version, --bind, --strict
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
    std::string lint_error;
    if (ParseLintFlag(args, i, o.lint, lint_error)) {
      if (!lint_error.empty()) {
        err << "ptlint: " << lint_error << "\n";
        return 2;
      }
      continue;
    }
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return -1;
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
    } else if (a.size() > 1 && a[0] == '-') {
      err << "ptlint: unknown option " << a << "\n" << kUsage;
      return 2;
    } else {
      o.paths.push_back(a);
    }
  }
  return 0;
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
  // Without a config, the project root is the folder holding the first path
  // (the working directory for "." or "src/"): where requirements*.txt pins
  // torch and numpy and where `exclude` globs are rooted.
  std::string fallback_root = fs::path(o.paths.front()).parent_path().string();
  if (fallback_root.empty()) fallback_root = ".";
  auto settings = ResolveLintSettings(*config, o.lint, fallback_root);
  if (!settings.ok()) {
    err << "ptlint: " << settings.error().message << "\n";
    return 2;
  }
  for (const std::string& p : o.paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      err << "ptlint: " << p << ": no such file or directory\n";
      return 2;
    }
  }
  std::unique_ptr<ProjectAnalysis> project = AnalyzeProject(o.paths, settings->analysis);
  std::vector<Diagnostic> diagnostics = LintProject(*project, *settings, DiskLineReader());

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
    r.binding_factory = ac.binding.factory;
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
  if (HasInternalErrors(diagnostics)) return 2;  // a file ptlint failed on (PTL604)
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
