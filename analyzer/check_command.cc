#include "analyzer/check_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/checkpoint_discovery.h"
#include "analyzer/checkpoint_reader.h"
#include "analyzer/project_config.h"
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

std::string Relative(const std::string& path) {
  std::error_code ec;
  fs::path rel = fs::relative(path, fs::current_path(), ec);
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return path;
  return rel.generic_string();
}

struct CheckOptions {
  std::vector<std::string> paths;
  OutputFormat format = OutputFormat::kFull;
  std::string output_file;
  std::vector<std::string> select, ignore;
  bool select_given = false, ignore_given = false;
  std::string torch_version;
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

  DiscoveredPaths found = DiscoverPaths(o.paths);
  for (const std::string& e : found.errors) err << "ptlint: " << e << "\n";
  if (!found.errors.empty()) return 2;

  std::vector<Diagnostic> diagnostics;
  for (const std::string& path : found.checkpoints) {
    Checkpoint cp = ReadCheckpoint(path);
    CheckpointContext ctx{cp, Relative(path), torch, o.strict, safety};
    for (const Rule* rule : AllRules()) {
      if (!RuleSelected(rule->info().code, o.select, o.ignore)) continue;
      rule->CheckCheckpoint(ctx, diagnostics);
    }
  }
  // Rules may emit codes of related rules (PTL303 beside PTL6xx): filter again.
  diagnostics.erase(std::remove_if(diagnostics.begin(), diagnostics.end(),
                                   [&](const Diagnostic& d) {
                                     return !RuleSelected(d.code, o.select, o.ignore);
                                   }),
                    diagnostics.end());
  std::sort(diagnostics.begin(), diagnostics.end(), DiagnosticLess);

  ReportSummary summary;
  summary.files_checked = found.checkpoints.size() + found.python_files.size();
  summary.statistics = o.statistics;
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
