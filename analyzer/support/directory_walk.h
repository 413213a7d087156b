// WalkDirectory: the one folder walk under every scan (checkpoints and
// sources alike), following symbolic links the way users lay files out.
//
// The Hugging Face cache is all links (`snapshots/<rev>/pytorch_model.bin` ->
// `../../blobs/<sha>`), and so are many experiment folders (`latest ->
// run_42/`): a walk that skips links reports "0 files" on them. Following
// links brings two hazards, both bounded here:
//   - loops (`a/loop -> ..`): each folder is entered once, keyed by its
//     (device, inode), so a link back to an ancestor or a sibling already
//     walked is not entered again;
//   - unbounded size: depth and entry count are capped, and a walk that hits
//     a cap says so in `problems` instead of silently stopping.
// Entries are visited in name order, folder by folder (deterministic output).
// Nothing here opens a file: the type comes from stat(2), so a FIFO, socket
// or device is reported as such and never read.
#ifndef PTLINT_ANALYZER_SUPPORT_DIRECTORY_WALK_H_
#define PTLINT_ANALYZER_SUPPORT_DIRECTORY_WALK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ptlint {

struct WalkOptions {
  size_t max_depth = 64;            // folders below the root
  size_t max_entries = 2'000'000;   // entries looked at, all folders together
  bool follow_symlinks = true;
};

struct WalkEntry {
  enum class Type { kFile, kDirectory, kOther, kDangling };
  std::string path;      // as reached: root + names (links not resolved)
  std::string relative;  // relative to the root, '/'-separated
  Type type = Type::kFile;
  uint32_t mode = 0;     // st_mode of the target (0 when dangling)
  bool is_symlink = false;  // the entry itself is a link
  bool via_symlink = false; // the entry, or a folder it was reached through, is a link
  size_t depth = 0;      // 1 for the root's own entries
};

struct WalkProblem {
  std::string path;
  std::string message;
};

// Visits every entry under the folder `root` (not the root itself). For a
// folder, `visit` returning false skips what is inside it; for other
// entries its result is ignored. A link whose target is missing is visited
// as kDangling; a folder already walked (a loop, or a second link to it) is
// not visited again.
void WalkDirectory(const std::string& root, const WalkOptions& options,
                   const std::function<bool(const WalkEntry&)>& visit,
                   std::vector<WalkProblem>* problems);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_SUPPORT_DIRECTORY_WALK_H_
