// ProjectConfig: `[tool.ptlint]` in pyproject.toml, or ptlint.toml. The
// nearest file to the first path wins, with no merging (as in ruff). Read
// with toml++ (Debian's libtomlplusplus-dev): a real TOML parser, because
// pyproject files use every corner of the format.
#ifndef PTLINT_ANALYZER_CONFIG_PROJECT_CONFIG_H_
#define PTLINT_ANALYZER_CONFIG_PROJECT_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/support/result.h"

namespace ptlint {

struct ProjectConfig {
  std::string file;                              // the config file used, "" if none
  std::string root;                              // its folder (paths are relative to it)
  std::vector<std::string> src;                  // source roots
  std::vector<std::string> checkpoints;          // checkpoint files/folders
  std::vector<std::string> exclude;              // glob patterns
  std::vector<std::string> select;
  std::vector<std::string> ignore;
  std::map<std::string, std::vector<std::string>> per_file_ignores;  // glob -> codes
  std::map<std::string, std::string> bind;       // checkpoint path -> pkg.mod.Class
  std::string torch_version;                     // "2.6", ...
  std::vector<std::string> safe_globals;         // "argparse.Namespace", "omegaconf.*"
};

// Finds and reads the config for `start` (a file or folder): walks up from it
// to the filesystem root and takes the first ptlint.toml, or pyproject.toml
// with a [tool.ptlint] table. A config with errors is an Error naming the
// file, line and key.
Result<ProjectConfig> LoadProjectConfig(const std::string& start);

// Reads one file (pyproject.toml or ptlint.toml).
Result<ProjectConfig> ReadProjectConfigFile(const std::string& path);

// A requirement on `package` as the project pins it: the first line of
// requirements*.txt or pyproject.toml in `root` (files in name order) that
// names it with a comparison. "torch==2.4.1" -> {"==", "2.4.1"},
// "torch>=2.6,<3" -> {">=", "2.6"}, "numpy<2" -> {"<", "2"}.
struct PinnedRequirement {
  std::string op;       // "==", ">=", "~=", "<=", "<" or ">"
  std::string version;  // digits and dots, as written
};
std::optional<PinnedRequirement> DetectPinnedRequirement(const std::string& root,
                                                         const std::string& package);

// `path` relative to `root` ("/" separators, normalised; "../x" when outside
// it). Both may be relative to the working directory.
std::string PathRelativeTo(const std::string& path, const std::string& root);

// Does `path` match a ruff-style `exclude` / `per-file-ignores` pattern?
// Patterns are globs (fnmatch: `*` also crosses `/`, `?`, `[...]`):
//  - without a `/` ("legacy", "*_old.py"): any component of the path, a file
//    or folder name, at any depth;
//  - with a `/` ("src/legacy", "tests/*.py"): the path relative to `root` (the
//    config's folder), or a folder that holds it; a leading "**/" also
//    matches at the root, "./" and a trailing "/" are dropped; an absolute
//    pattern is matched against the absolute path.
// With `entry_only` (a directory walk, which prunes matched folders itself)
// only the path's own name and whole path count, not its folders'.
bool PathMatchesPattern(const std::string& path, const std::string& root, const std::string& pattern,
                        bool entry_only = false);
bool PathMatchesAny(const std::string& path, const std::string& root,
                    const std::vector<std::string>& patterns, bool entry_only = false);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CONFIG_PROJECT_CONFIG_H_
