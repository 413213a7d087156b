// Finds the checkpoints among the paths a user names: explicit files are
// always taken; folders are walked and each file is judged by its first bytes
// (never by its extension), a distributed-checkpoint folder (one holding
// `.metadata`) is one checkpoint, and the shards of a sharded set are read
// through their *.index.json instead of one by one.
#ifndef PTLINT_ANALYZER_CHECKPOINT_DISCOVERY_H_
#define PTLINT_ANALYZER_CHECKPOINT_DISCOVERY_H_

#include <string>
#include <vector>

namespace ptlint {

struct DiscoveredPaths {
  std::vector<std::string> checkpoints;   // files, index files, DCP folders; sorted
  std::vector<std::string> python_files;  // *.py found while walking; sorted
  std::vector<std::string> errors;        // paths that do not exist / cannot be read
};

DiscoveredPaths DiscoverPaths(const std::vector<std::string>& roots);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_CHECKPOINT_DISCOVERY_H_
