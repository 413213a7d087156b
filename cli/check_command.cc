#include "cli/check_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/command_line.h"
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

const char kFooter[] =
    "PATH: folders and files; sources and checkpoints are told apart by content.\n"
    "Without PATH, the config's `src` and `checkpoints`.\n"
    "exit: 0 clean, 1 findings, 2 usage or internal error";

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "full";
  std::string output_file;
  LintOverrides lint;  // --select, --ignore, --torch-version, --bind, --strict, --force-exclude
  bool exit_zero = false;
  bool statistics = false;
  bool explain = false;
};

// Parses argv; nullopt to go on, or an exit code.
std::optional<int> ParseArgs(const std::vector<std::string>& args, CheckOptions& o, std::ostream& out,
                             std::ostream& err) {
  CLI::App app("ptlint check: why a PyTorch checkpoint will not load into today's code, and "
               "whether it is safe to load at all. Nothing is executed or imported.",
               "ptlint check");
  ConfigureApp(app, kFooter);
  app.add_option("PATH", o.paths, "folders and files to check")->option_text("PATH...");
  AddFormatOption(app, o.format, {"full", "concise", "json", "sarif", "github", "junit"});
  app.add_option("-o,--output-file", o.output_file, "write the report to FILE")->option_text("FILE");
  AddLintOptions(app, o.lint);
  app.add_flag("--exit-zero", o.exit_zero, "exit 0 even when there are findings");
  app.add_flag("--statistics", o.statistics, "counts per rule after the findings");
  app.add_flag("--explain", o.explain,
               "after the findings, each checkpoint's binding: the class, how it was found, and why "
               "drift was not reported when it was not (full and concise formats; JSON always has it)");
  return ParseCommandLine(app, args, out, err);
}

}  // namespace

int RunCheckCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                    bool exit_when_done) {
  CheckOptions o;
  if (std::optional<int> rc = ParseArgs(args, o, out, err)) return *rc;
  const OutputFormat format = *ParseOutputFormat(o.format);

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
    err << "ptlint check: no PATH given and no `src` / `checkpoints` in a config\n"
           "Run `ptlint check --help` for the options.\n";
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
  settings->analysis.retain_for_exit = exit_when_done;
  std::unique_ptr<ProjectAnalysis> project = AnalyzeProject(o.paths, settings->analysis);
  std::vector<Diagnostic> diagnostics = LintProject(*project, *settings, DiskLineReader());

  ReportSummary summary;
  summary.files_checked = project->checkpoints.size() + project->python_files.size();
  summary.statistics = o.statistics;
  summary.explain = o.explain;
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
    r.construction_known = ac.binding.construction_known;
    r.keys_followed = ac.binding.keys_followed;
    r.binding_note = ac.binding.note;
    if (ac.binding.call_site >= 0 && static_cast<size_t>(ac.binding.call_site) < project->call_sites.size()) {
      const CallSite& site = project->call_sites[static_cast<size_t>(ac.binding.call_site)];
      r.binding_site = fs::path(site.path).lexically_normal().generic_string() + ":" + std::to_string(site.start.line);
    }
    summary.checkpoints.push_back(std::move(r));
  }
  std::sort(summary.checkpoints.begin(), summary.checkpoints.end(),
            [](const CheckpointReport& a, const CheckpointReport& b) { return a.path < b.path; });
  if (o.output_file.empty()) {
    RenderReport(format, diagnostics, summary, out);
  } else {
    std::ofstream file(o.output_file, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "ptlint: cannot write " << o.output_file << "\n";
      return 2;
    }
    RenderReport(format, diagnostics, summary, file);
  }
  int rc = diagnostics.empty() ? 0 : 1;
  if (o.exit_zero) rc = 0;
  if (HasInternalErrors(diagnostics)) rc = 2;  // a file ptlint failed on (PTL604)
  if (exit_when_done) {
    // Freeing the analysis (the index, its syntax trees, every prediction)
    // costs tens of milliseconds the operating system does for free.
    out.flush();
    err.flush();
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  return rc;
}

int RunRuleCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("ptlint rule: a rule's documentation (the text SARIF help and LSP hovers use).", "ptlint rule");
  ConfigureApp(app, "exit: 0 shown, 2 unknown code or usage error");
  std::string code;
  bool all = false;
  app.add_option("CODE", code, "a rule code, e.g. PTL204");
  app.add_flag("--all", all, "list every rule");
  if (std::optional<int> rc = ParseCommandLine(app, args, out, err)) return *rc;
  if (all) {
    for (const Rule* r : AllRules()) {
      out << r->info().code << "  " << r->info().name << "  (" << SeverityName(r->info().default_severity)
          << ")  " << r->info().summary << "\n";
    }
    return 0;
  }
  if (code.empty()) {
    err << "ptlint rule: give a CODE or --all\n";
    return 2;
  }
  std::string_view doc = RuleDocumentation(code);
  if (doc.empty()) {
    err << "ptlint rule: unknown rule code '" << code << "' (closest: " << ClosestRuleSelector(code)
        << "; see `ptlint rule --all`)\n";
    return 2;
  }
  out << doc;
  if (doc.back() != '\n') out << "\n";
  return 0;
}

}  // namespace ptlint
