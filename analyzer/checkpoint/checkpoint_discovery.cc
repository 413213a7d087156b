#include "analyzer/checkpoint/checkpoint_discovery.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fnmatch.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "analyzer/support/byte_source.h"
#include "analyzer/support/directory_walk.h"
#include "analyzer/checkpoint/checkpoint_reader.h"
#include "analyzer/config/project_config.h"
#include "analyzer/formats/zip_reader.h"

namespace ptlint {
namespace fs = std::filesystem;

namespace {

// Extensions people give checkpoints. Used only to decide whether a file whose
// bytes are *not* a checkpoint (HTML, empty) was meant to be one, so that the
// user hears about it; recognition itself is by content.
bool HasCheckpointExtension(const fs::path& p) {
  static const std::set<std::string> kExt = {".pt", ".pth", ".bin", ".ckpt", ".safetensors",
                                             ".pkl", ".pickle", ".tar", ".distcp", ".part",
                                             ".model", ".weights"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kExt.count(ext) > 0;
}

bool SkippedDirectory(const fs::path& p) {
  std::string name = p.filename().string();
  return name == ".git" || name == ".hg" || name == ".svn" || name == "__pycache__" ||
         name == "node_modules" || name == ".venv" || name == ".tox" || name == ".mypy_cache";
}

// A zip found while walking is a checkpoint only if it looks like a torch
// archive; a broken one (no central directory) is reported when its name says
// it was meant to be a checkpoint.
bool IsTorchZip(const fs::path& p) {
  auto source = OpenFileByteSource(p.string());
  if (!source.ok()) return false;
  // The central directory's names only: a full open also reads every
  // record's local header, ~30 ms of the torchvision bench's 18 checkpoints
  // on one core before any other work could start.
  auto names = ZipArchive::RecordNames(**source);
  if (!names.ok()) return HasCheckpointExtension(p);
  for (const std::string& n : *names) {
    auto ends = [&](std::string_view s) {
      return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
    };
    if (ends("data.pkl") || ends("constants.pkl") || ends("/version")) return true;
  }
  return false;
}

// The shard files a *.index.json names, resolved against its folder.
std::vector<fs::path> ShardsOf(const fs::path& index) {
  std::vector<fs::path> shards;
  Result<std::string> text = ReadRegularFile(index.string(), 64u << 20);
  if (!text.ok()) return shards;
  nlohmann::json j = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) return shards;
  for (const auto& [name, shard] : j["weight_map"].items()) {
    if (shard.is_string()) shards.push_back(index.parent_path() / shard.get<std::string>());
  }
  return shards;
}

}  // namespace

bool PathExcludes::Matches(const std::string& path) const {
  return !patterns.empty() && PathMatchesAny(path, root, patterns);
}

bool PathExcludes::MatchesEntry(const std::string& path) const {
  return !patterns.empty() && PathMatchesAny(path, root, patterns, /*entry_only=*/true);
}

std::vector<std::string> PythonDiscoveryExcludes(const PathExcludes& excludes,
                                                 const std::vector<std::string>& roots) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t slash; (slash = s.find('/', start)) != std::string::npos; start = slash + 1) {
      if (slash > start) parts.push_back(s.substr(start, slash - start));
    }
    if (start < s.size()) parts.push_back(s.substr(start));
    return parts;
  };
  auto join = [](const std::vector<std::string>& parts, size_t from) {
    std::string s;
    for (size_t i = from; i < parts.size(); ++i) s += (s.empty() ? "" : "/") + parts[i];
    return s;
  };
  for (std::string pattern : excludes.patterns) {
    while (pattern.rfind("./", 0) == 0) pattern.erase(0, 2);
    while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
    if (pattern.empty() || pattern == "." || pattern.front() == '/') continue;
    if (pattern.find('/') == std::string::npos) {
      add(pattern);  // a name: matched against every component, as in ruff
      continue;
    }
    std::vector<std::string> anchored = {pattern};
    if (pattern.rfind("**/", 0) == 0) {
      anchored.push_back(pattern.substr(3));
      add("*/" + pattern.substr(3));  // at any depth below any root
    }
    for (const std::string& root : roots) {
      std::error_code ec;
      if (!fs::is_directory(root, ec)) continue;
      std::string rel = PathRelativeTo(root, excludes.root);
      if (rel == ".." || rel.rfind("../", 0) == 0) continue;  // outside the config root
      std::vector<std::string> root_parts = rel == "." ? std::vector<std::string>{} : split(rel);
      for (const std::string& a : anchored) {
        std::vector<std::string> parts = split(a);
        if (parts.size() <= root_parts.size()) continue;  // names the root itself or above it
        bool prefix = true;
        for (size_t i = 0; i < root_parts.size() && prefix; ++i) {
          prefix = fnmatch(parts[i].c_str(), root_parts[i].c_str(), 0) == 0;
        }
        if (!prefix) continue;
        std::string rest = join(parts, root_parts.size());
        if (rest.find('/') != std::string::npos) {
          add(rest);  // only ever matches the whole root-relative path
        } else {
          add(rest + "/*");  // everything under a folder of that name in the root
          if (!fs::is_directory(fs::path(root) / rest, ec)) add(rest);  // a file (or a glob)
        }
      }
    }
  }
  return out;
}

DiscoveredPaths DiscoverPaths(const std::vector<std::string>& roots, const PathExcludes& excludes) {
  DiscoveredPaths found;
  std::vector<fs::path> candidates;
  std::vector<fs::path> indexes;

  auto consider_file = [&](const fs::path& p, bool explicit_file) {
    // Non-blocking open and fstat first (byte_source.h): what is not a
    // regular file by now is reported, never read.
    Result<FileHead> head = ReadRegularFileHead(p.string(), 4096);
    if (!head.ok()) {
      // The reader reports it for that file alone (PTL503, with why).
      if (explicit_file || HasCheckpointExtension(p)) candidates.push_back(p);
      return;
    }
    Sniff sniff = SniffBytes(head->bytes, head->size);
    std::string ext = p.extension().string();
    switch (sniff) {
      case Sniff::kPythonSource:
        if (ext == ".py" || ext == ".pyi") {
          found.python_files.push_back(p.string());
          return;
        }
        break;
      case Sniff::kShardedIndexJson:
        indexes.push_back(p);
        candidates.push_back(p);
        return;
      case Sniff::kZip:
        if (explicit_file || IsTorchZip(p)) candidates.push_back(p);
        return;
      case Sniff::kLegacyPickle:
      case Sniff::kPickle:
      case Sniff::kTar:
      case Sniff::kSafetensors:
      case Sniff::kLfsPointer:
        candidates.push_back(p);
        return;
      default:
        break;
    }
    if (ext == ".py") {
      found.python_files.push_back(p.string());
    } else if (explicit_file || HasCheckpointExtension(p)) {
      candidates.push_back(p);  // the reader explains what it is instead
    }
  };

  for (const std::string& root : roots) {
    std::error_code ec;
    fs::path rp(root);
    fs::file_status st = fs::status(rp, ec);
    if (ec || !fs::exists(st)) {
      found.errors.push_back(root + ": no such file or directory");
      continue;
    }
    if (excludes.force && excludes.Matches(root)) continue;  // --force-exclude
    if (fs::is_regular_file(st)) {
      consider_file(rp, /*explicit_file=*/true);
      continue;
    }
    if (!fs::is_directory(st)) {
      struct stat raw {};
      found.errors.push_back(::stat(root.c_str(), &raw) == 0
                                 ? root + " is " + FileTypeDescription(raw.st_mode) +
                                       ", not a regular file or folder; not read"
                                 : root + ": not a regular file or directory");
      candidates.push_back(rp);  // `check` reports it on the file (PTL503)
      continue;
    }
    if (fs::exists(rp / ".metadata")) {  // the folder itself is a distributed checkpoint
      candidates.push_back(rp);
      continue;
    }
    // Links are followed (the Hugging Face cache is all links), each folder
    // entered once, depth and size bounded: directory_walk.h.
    std::vector<WalkProblem> problems;
    WalkDirectory(
        root, WalkOptions{},
        [&](const WalkEntry& entry) {
          if (!excludes.empty() && excludes.MatchesEntry(entry.path)) return false;
          fs::path p(entry.path);
          switch (entry.type) {
            case WalkEntry::Type::kDirectory: {
              if (SkippedDirectory(p)) return false;
              std::error_code sec;
              if (fs::exists(p / ".metadata", sec)) {
                candidates.push_back(p);
                return false;
              }
              return true;
            }
            case WalkEntry::Type::kFile:
              consider_file(p, /*explicit_file=*/false);
              return true;
            case WalkEntry::Type::kDangling:
            case WalkEntry::Type::kOther:
              // A link to a missing file, a FIFO, a socket, a device named like
              // a checkpoint: the reader says what it is (PTL503) without
              // reading it, and the rest of the folder goes on.
              if (HasCheckpointExtension(p)) candidates.push_back(p);
              return true;
          }
          return true;
        },
        &problems);
    for (const WalkProblem& wp : problems) found.errors.push_back(wp.path + ": " + wp.message);
  }

  // Shards are read through their index; listing them again would repeat every finding.
  std::set<std::string> shard_files;
  for (const fs::path& index : indexes) {
    for (const fs::path& s : ShardsOf(index)) {
      std::error_code ec;
      fs::path canon = fs::weakly_canonical(s, ec);
      shard_files.insert(ec ? s.lexically_normal().string() : canon.string());
    }
  }
  // A file reached twice (the Hugging Face cache's blob and the snapshot
  // link to it) is one checkpoint, shown under the name the links give it:
  // `snapshots/<rev>/pytorch_model.bin` is what loaders name, the blob's
  // hash is not.
  std::map<std::string, size_t> by_key;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(c, ec);
    std::string key = ec ? c.lexically_normal().string() : canon.string();
    if (shard_files.count(key) && std::find(roots.begin(), roots.end(), c.string()) == roots.end()) continue;
    auto [it, fresh] = by_key.emplace(key, found.checkpoints.size());
    if (fresh) {
      found.checkpoints.push_back(c.string());
    } else if (fs::path(found.checkpoints[it->second]).filename() == fs::path(key).filename() &&
               c.filename() != fs::path(key).filename()) {
      found.checkpoints[it->second] = c.string();  // the link's name over the target's
    }
  }
  std::sort(found.checkpoints.begin(), found.checkpoints.end());
  std::sort(found.python_files.begin(), found.python_files.end());
  found.python_files.erase(std::unique(found.python_files.begin(), found.python_files.end()),
                           found.python_files.end());
  return found;
}

}  // namespace ptlint
