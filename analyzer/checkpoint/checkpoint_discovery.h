// Finds the checkpoints among the paths a user names: explicit files are
// always taken; folders are walked and each file is judged by its first bytes
// (never by its extension), a distributed-checkpoint folder (one holding
// `.metadata`) is one checkpoint, and the shards of a sharded set are read
// through their *.index.json instead of one by one.
#ifndef PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_DISCOVERY_H_
#define PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_DISCOVERY_H_

#include <string>
#include <vector>

namespace ptlint {

struct DiscoveredPaths {
  std::vector<std::string> checkpoints;   // files, index files, DCP folders; sorted
  std::vector<std::string> python_files;  // *.py found while walking; sorted
  std::vector<std::string> errors;        // paths that do not exist / cannot be read
};

// The config's `exclude` (ruff semantics, see PathMatchesPattern): files and
// folders under the roots that match are skipped while walking. A path named
// on the command line is still read, as in ruff, unless `force` is set
// (--force-exclude).
struct PathExcludes {
  std::string root;                   // patterns are relative to it (the config's folder)
  std::vector<std::string> patterns;  // globs
  bool force = false;

  bool empty() const { return patterns.empty(); }
  bool Matches(const std::string& path) const;       // the path or a folder above it
  bool MatchesEntry(const std::string& path) const;  // the path itself (while walking)
};

DiscoveredPaths DiscoverPaths(const std::vector<std::string>& roots, const PathExcludes& excludes = {});

// The same patterns as DiscoveryOptions::excludes for ModuleIndex::Build over
// the directory `roots`: those match root-relative paths and components, so
// each root-anchored pattern ("src/legacy") is re-anchored at every root
// under the config root ("legacy/*" for root "src"). Name patterns pass
// unchanged. One approximation remains: a pattern re-anchored at one root
// applies under every root, and one that names a single entry directly in a
// root ("src/old.py" -> "old.py") also matches that name deeper in it.
std::vector<std::string> PythonDiscoveryExcludes(const PathExcludes& excludes,
                                                 const std::vector<std::string>& roots);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_CHECKPOINT_DISCOVERY_H_
