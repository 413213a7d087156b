#include "analyzer/checkpoint/checkpoint_discovery.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "analyzer/support/byte_source.h"
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

std::string ReadHead(const fs::path& p, size_t n, uint64_t* size) {
  std::error_code ec;
  *size = fs::file_size(p, ec);
  if (ec) *size = 0;
  std::ifstream in(p, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return head;
}

// A zip found while walking is a checkpoint only if it looks like a torch
// archive; a broken one (no central directory) is reported when its name says
// it was meant to be a checkpoint.
bool IsTorchZip(const fs::path& p) {
  auto source = OpenFileByteSource(p.string());
  if (!source.ok()) return false;
  auto zip = ZipArchive::Open(**source);
  if (!zip.ok()) return HasCheckpointExtension(p);
  for (const ZipEntry& e : zip->entries()) {
    const std::string& n = e.name;
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
  std::ifstream in(index);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
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
  std::set<std::string> seen;

  auto consider_file = [&](const fs::path& p, bool explicit_file) {
    uint64_t size = 0;
    std::string head = ReadHead(p, 4096, &size);
    Sniff sniff = SniffBytes(head, size);
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
      found.errors.push_back(root + ": not a regular file or directory");
      continue;
    }
    if (fs::exists(rp / ".metadata")) {  // the folder itself is a distributed checkpoint
      candidates.push_back(rp);
      continue;
    }
    fs::recursive_directory_iterator it(rp, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& entry = *it;
      std::error_code sec;
      if (entry.is_symlink(sec)) {  // never follow links out of the tree
        if (entry.is_directory(sec)) it.disable_recursion_pending();
        continue;
      }
      if (!excludes.empty() && excludes.MatchesEntry(entry.path().string())) {
        if (entry.is_directory(sec)) it.disable_recursion_pending();
        continue;
      }
      if (entry.is_directory(sec)) {
        if (SkippedDirectory(entry.path())) {
          it.disable_recursion_pending();
        } else if (fs::exists(entry.path() / ".metadata")) {
          candidates.push_back(entry.path());
          it.disable_recursion_pending();
        }
        continue;
      }
      if (entry.is_regular_file(sec)) consider_file(entry.path(), /*explicit_file=*/false);
    }
    if (ec) found.errors.push_back(root + ": " + ec.message());
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
  for (const fs::path& c : candidates) {
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(c, ec);
    std::string key = ec ? c.lexically_normal().string() : canon.string();
    if (shard_files.count(key) && std::find(roots.begin(), roots.end(), c.string()) == roots.end()) continue;
    if (seen.insert(key).second) found.checkpoints.push_back(c.string());
  }
  std::sort(found.checkpoints.begin(), found.checkpoints.end());
  std::sort(found.python_files.begin(), found.python_files.end());
  found.python_files.erase(std::unique(found.python_files.begin(), found.python_files.end()),
                           found.python_files.end());
  return found;
}

}  // namespace ptlint
