#include "analyzer/support/directory_walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace ptlint {

namespace {

struct Pending {
  std::string path;
  std::string relative;
  size_t depth = 0;       // of the folder's own entries
  bool via_symlink = false;
};

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// The names in `dir`, sorted; false (with errno) when it cannot be listed.
bool ListNames(const std::string& dir, std::vector<std::string>* names) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names->emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names->begin(), names->end());
  return true;
}

}  // namespace

void WalkDirectory(const std::string& root, const WalkOptions& options,
                   const std::function<bool(const WalkEntry&)>& visit,
                   std::vector<WalkProblem>* problems) {
  auto problem = [&](const std::string& path, const std::string& message) {
    if (problems != nullptr) problems->push_back({path, message});
  };
  struct stat root_st {};
  if (stat(root.c_str(), &root_st) != 0 || !S_ISDIR(root_st.st_mode)) {
    problem(root, "not a folder");
    return;
  }
  // Folders entered so far, by identity: a link back to one of them (a loop)
  // or a second link to the same folder is not entered again. Linked folders
  // wait until every real folder is walked, so that a folder reached both
  // directly and through a link (`latest -> run_42`) is walked under its own
  // name.
  std::set<std::pair<dev_t, ino_t>> entered = {{root_st.st_dev, root_st.st_ino}};
  struct Linked {
    WalkEntry entry;
    dev_t dev;
    ino_t ino;
  };
  std::vector<Pending> stack = {{root, "", 1, false}};
  std::vector<Linked> linked;
  size_t entries = 0;
  bool entries_capped = false;
  auto enter = [&](const WalkEntry& e, std::vector<Pending>* into) {
    if (!visit(e)) return;
    if (e.depth >= options.max_depth) {
      problem(e.path, "deeper than " + std::to_string(options.max_depth) + " folders below " + root +
                          "; not walked");
      return;
    }
    into->push_back({e.path, e.relative, e.depth + 1, e.via_symlink});
  };
  while (!entries_capped && (!stack.empty() || !linked.empty())) {
    if (stack.empty()) {
      Linked next = std::move(linked.front());
      linked.erase(linked.begin());
      if (!entered.insert({next.dev, next.ino}).second) continue;  // walked already
      enter(next.entry, &stack);
      continue;
    }
    Pending dir = std::move(stack.back());
    stack.pop_back();
    std::vector<std::string> names;
    if (!ListNames(dir.path, &names)) {
      if (errno != EACCES) problem(dir.path, std::string("cannot list: ") + std::strerror(errno));
      continue;
    }
    std::vector<Pending> children;
    for (const std::string& name : names) {
      if (++entries > options.max_entries) {
        problem(root, "more than " + std::to_string(options.max_entries) +
                          " entries; the rest of the folder was not walked");
        entries_capped = true;
        break;
      }
      WalkEntry e;
      e.path = Join(dir.path, name);
      e.relative = dir.relative.empty() ? name : dir.relative + "/" + name;
      e.depth = dir.depth;
      struct stat lst {};
      if (lstat(e.path.c_str(), &lst) != 0) continue;  // gone since listed
      e.is_symlink = S_ISLNK(lst.st_mode);
      e.via_symlink = dir.via_symlink || e.is_symlink;
      struct stat st = lst;
      if (e.is_symlink) {
        if (!options.follow_symlinks) continue;
        if (stat(e.path.c_str(), &st) != 0) {  // missing target, or a loop of links
          e.type = WalkEntry::Type::kDangling;
          visit(e);
          continue;
        }
      }
      e.mode = static_cast<uint32_t>(st.st_mode);
      if (S_ISREG(st.st_mode)) {
        e.type = WalkEntry::Type::kFile;
        visit(e);
      } else if (S_ISDIR(st.st_mode)) {
        e.type = WalkEntry::Type::kDirectory;
        if (e.is_symlink) {
          linked.push_back({e, st.st_dev, st.st_ino});
        } else if (entered.insert({st.st_dev, st.st_ino}).second) {
          enter(e, &children);
        }
      } else {
        e.type = WalkEntry::Type::kOther;
        visit(e);
      }
    }
    // Depth first, in name order.
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
}

}  // namespace ptlint
