#include "rules/lint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unordered_map>

#include "analyzer/analysis/global_safety.h"
#include "analyzer/analysis/pickle_safety.h"
#include "analyzer/analysis/state_dict_diff.h"
#include "analyzer/support/worker_pool.h"
#include "rules/core/finding_groups.h"
#include "rules/registry.h"

namespace ptlint {
namespace fs = std::filesystem;

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

bool ParseLintFlag(const std::vector<std::string>& args, size_t& i, LintOverrides& o,
                   std::string& error) {
  const std::string& a = args[i];
  std::string value;
  // Matches "--name VALUE" and "--name=VALUE"; false if `a` is not this flag.
  auto take = [&](const std::string& name) -> bool {
    if (a == name) {
      if (i + 1 >= args.size()) {
        error = name + " needs a value";
        return true;
      }
      value = args[++i];
      return true;
    }
    if (a.rfind(name + "=", 0) == 0) {
      value = a.substr(name.size() + 1);
      return true;
    }
    return false;
  };
  if (a == "--strict") {
    o.strict = true;
    return true;
  }
  if (a == "--force-exclude") {
    o.force_exclude = true;
    return true;
  }
  if (take("--select")) {
    auto codes = SplitCodes(value);
    o.select.insert(o.select.end(), codes.begin(), codes.end());
    o.select_given = true;
    return true;
  }
  if (take("--ignore")) {
    auto codes = SplitCodes(value);
    o.ignore.insert(o.ignore.end(), codes.begin(), codes.end());
    o.ignore_given = true;
    return true;
  }
  if (take("--bind")) {
    if (!error.empty()) return true;
    size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
      error = "--bind takes CKPT=pkg.module.Class, got '" + value + "'";
      return true;
    }
    o.bind[value.substr(0, eq)] = value.substr(eq + 1);
    return true;
  }
  if (take("--torch-version")) {
    o.torch_version = value;
    return true;
  }
  return false;
}

Result<LintSettings> ResolveLintSettings(const ProjectConfig& config, const LintOverrides& flags,
                                         const std::string& fallback_root) {
  LintSettings s;
  s.root = config.root.empty() ? fallback_root : config.root;
  s.select = flags.select_given ? flags.select : config.select;
  s.ignore = flags.ignore_given ? flags.ignore : config.ignore;
  s.per_file_ignores = config.per_file_ignores;
  s.exclude = config.exclude;
  // A typo must not select nothing and report a clean project (ruff: exit 2).
  auto check = [](const std::vector<std::string>& codes, const std::string& where) -> std::string {
    for (const std::string& code : codes) {
      std::string why = RuleSelectorError(code);
      if (!why.empty()) return where + ": " + why;
    }
    return "";
  };
  const std::string in_config = (config.file.empty() ? std::string("config") : config.file) + ": [tool.ptlint] ";
  std::string bad = check(flags.select, "--select");
  if (bad.empty()) bad = check(flags.ignore, "--ignore");
  if (bad.empty()) bad = check(config.select, in_config + "select");
  if (bad.empty()) bad = check(config.ignore, in_config + "ignore");
  for (const auto& [glob, codes] : config.per_file_ignores) {
    if (bad.empty()) bad = check(codes, in_config + "per-file-ignores.\"" + glob + "\"");
  }
  if (!bad.empty()) return Error{"config.select", bad, "", -1};
  std::string torch_text = flags.torch_version;
  if (torch_text.empty()) torch_text = config.torch_version;
  if (torch_text.empty()) {
    if (auto pin = DetectPinnedRequirement(s.root, "torch")) torch_text = pin->version;
  }
  TorchVersion torch = TorchVersion::kCurrent;
  if (!torch_text.empty()) {
    auto v = ParseTorchVersion(torch_text);
    if (!v) return Error{"config.torch-version", "torch version '" + torch_text + "' is not a version (e.g. 2.6)", "", -1};
    torch = *v;
  }
  AnalysisOptions& a = s.analysis;
  a.torch_version = torch;
  a.torch_version_text = torch_text;
  a.numpy_pin = DetectPinnedRequirement(s.root, "numpy");
  a.safety.torch_version = torch;
  a.safety.safe_globals.insert(config.safe_globals.begin(), config.safe_globals.end());
  a.strict = flags.strict;
  a.exclude = s.exclude;
  a.exclude_root = s.root;
  a.force_exclude = flags.force_exclude;
  for (const auto& [ckpt, cls] : config.bind) a.bind[ckpt] = cls;
  for (const auto& [ckpt, cls] : flags.bind) a.bind[ckpt] = cls;
  return s;
}

SourceLineReader DiskLineReader() {
  auto cache = std::make_shared<std::unordered_map<std::string, std::vector<std::string>>>();
  return [cache](const std::string& path, int line) -> std::optional<std::string> {
    auto it = cache->find(path);
    if (it == cache->end()) {
      std::vector<std::string> lines;
      std::ifstream in(path);
      std::string l;
      while (std::getline(in, l)) lines.push_back(l);
      it = cache->emplace(path, std::move(lines)).first;
    }
    if (line < 1 || static_cast<size_t>(line) > it->second.size()) return std::nullopt;
    return it->second[static_cast<size_t>(line - 1)];
  };
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

bool IsInternalError(const Diagnostic& d) {
  return d.code == "PTL604" && d.message.rfind(kInternalErrorPrefix, 0) == 0;
}

bool HasInternalErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), IsInternalError);
}

bool PerFileIgnored(const Diagnostic& d, const LintSettings& settings) {
  if (settings.per_file_ignores.empty() || d.location.path.empty()) return false;
  for (const auto& [glob, codes] : settings.per_file_ignores) {
    bool negated = !glob.empty() && glob[0] == '!';
    std::string pattern = negated ? glob.substr(1) : glob;
    if (PathMatchesPattern(d.location.path, settings.root, pattern) == negated) continue;
    for (const std::string& c : codes) {
      if (c == "ALL" || d.code.rfind(c, 0) == 0) return true;
    }
  }
  return false;
}

std::vector<Diagnostic> LintProject(const ProjectAnalysis& project, const LintSettings& settings,
                                    const SourceLineReader& lines) {
  const std::vector<std::string>& select = settings.select;
  const std::vector<std::string>& ignore = settings.ignore;
  const AnalysisOptions& options = settings.analysis;
  // The project's own classes are trusted by the security rules (allowlist-first).
  const SafetyContext safety = ProjectSafetyContext(project);
  bool any_security = false;
  for (const char* code : {"PTL601", "PTL602", "PTL603", "PTL604"}) {
    any_security = any_security || RuleSelected(code, select, ignore);
  }

  std::vector<Diagnostic> diagnostics;
  // One file's failure must never stop the run or hide other files'
  // findings: each checkpoint's rules run contained, and a failure (an
  // exception thrown while reading, analysing or checking that file) is
  // reported on that file as PTL604: ptlint cannot vouch for it.
  std::vector<Diagnostic> internal;
  auto internal_error_to = [](std::vector<Diagnostic>& list, const std::string& path,
                              const std::string& what) {
    Diagnostic d;
    d.code = "PTL604";
    d.severity = Severity::kError;
    d.message = std::string(kInternalErrorPrefix) + " on " + path + ": " + what +
                "; its findings are incomplete and it is not vouched for";
    d.fix = "Treat the file as untrusted until ptlint reads it; please report this failure "
            "(ptlint exits with status 2).";
    d.checkpoint = path;
    d.location.path = path;
    list.push_back(std::move(d));
  };
  auto internal_error = [&](const std::string& path, const std::string& what) {
    internal_error_to(internal, path, what);
  };
  // Each checkpoint's rules read only the project and that checkpoint
  // (rules are stateless): the files are shared out over the cores, each
  // into its own lists, joined in file order as a plain loop would make them.
  const size_t files = project.checkpoints.size();
  std::vector<std::vector<Diagnostic>> found(files), failed(files);
  ForEachOnWorkers(files, [&](size_t c) {
    const AnalyzedCheckpoint& ac = project.checkpoints[c];
    std::vector<Diagnostic>& diagnostics = found[c];
    if (!ac.internal_error.empty())
      internal_error_to(failed[c], ac.display_path, ac.internal_error);
    // LinkProject computed the diff and the safety report once for every
    // consumer; the security rules see the report only when selected.
    const std::optional<StateDictDiff>& diff = ac.diff.value;
    CheckpointContext ctx{ac.checkpoint, ac.display_path, options.torch_version, options.strict,
                          safety, project, ac, diff ? &*diff : nullptr,
                          any_security ? &ac.safety : nullptr};
    for (const Rule* rule : AllRules()) {
      if (!RuleSelected(rule->info().code, select, ignore)) continue;
      size_t before = diagnostics.size();
      try {
        rule->CheckCheckpoint(ctx, diagnostics);
      } catch (const std::exception& e) {
        diagnostics.resize(before);
        internal_error_to(failed[c], ac.display_path,
                          std::string(rule->info().code) + " failed (" + e.what() + ")");
      }
    }
  });
  for (size_t c = 0; c < files; ++c) {
    std::move(found[c].begin(), found[c].end(), std::back_inserter(diagnostics));
    std::move(failed[c].begin(), failed[c].end(), std::back_inserter(internal));
  }
  ProjectContext pctx{project};
  for (const Rule* rule : AllRules()) {
    if (!RuleSelected(rule->info().code, select, ignore)) continue;
    size_t before = diagnostics.size();
    try {
      rule->CheckProject(pctx, diagnostics);
    } catch (const std::exception& e) {
      diagnostics.resize(before);
      internal_error(settings.root.empty() ? std::string(".") : settings.root,
                     std::string(rule->info().code) + " over the sources failed (" + e.what() + ")");
    }
  }
  diagnostics.erase(std::remove_if(diagnostics.begin(), diagnostics.end(),
                                   [&](const Diagnostic& d) {
                                     // Rules may emit codes of related rules
                                     // (PTL303 beside PTL6xx): filter again.
                                     if (!RuleSelected(d.code, select, ignore)) return true;
                                     if (PerFileIgnored(d, settings)) return true;
                                     if (d.location.line <= 0 || !lines) return false;
                                     auto text = lines(d.location.path, d.location.line);
                                     return text && LineSuppresses(*text, d.code);
                                   }),
                    diagnostics.end());
  // One cause, one finding (a rename repeated in twelve layers and two
  // checkpoints is one mistake with one fix).
  diagnostics = GroupFindingsByCause(std::move(diagnostics));
  // Never selected away nor suppressed: the run did not do its job there.
  diagnostics.insert(diagnostics.end(), std::make_move_iterator(internal.begin()),
                     std::make_move_iterator(internal.end()));
  std::sort(diagnostics.begin(), diagnostics.end(), DiagnosticLess);
  return diagnostics;
}

}  // namespace ptlint
