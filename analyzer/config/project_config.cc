#include "analyzer/config/project_config.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

// Debian's toml++ is a shared library built with exceptions; its parse_error
// is caught right here and comes back as a value (no exceptions cross ours).
#include <toml++/toml.h>

#include "analyzer/support/byte_source.h"

namespace ptlint {
namespace fs = std::filesystem;

namespace {

Result<std::vector<std::string>> StringList(const toml::node* node, const std::string& key,
                                            const std::string& file) {
  std::vector<std::string> out;
  if (node == nullptr) return out;
  if (const auto* s = node->as_string()) {
    out.push_back(s->get());
    return out;
  }
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    return MakeError("config.type", file + ": [tool.ptlint] " + key + " must be a list of strings",
                     "write e.g. " + key + " = [\"PTL2\"]");
  }
  for (const auto& el : *arr) {
    const auto* s = el.as_string();
    if (s == nullptr) {
      return MakeError("config.type", file + ": [tool.ptlint] " + key + " must hold only strings");
    }
    out.push_back(s->get());
  }
  return out;
}

Result<ProjectConfig> FromTable(const toml::table& t, const std::string& file) {
  ProjectConfig c;
  c.file = file;
  c.root = fs::path(file).parent_path().string();
  static const char* kKnown[] = {"src", "checkpoints", "exclude", "select", "ignore",
                                 "per-file-ignores", "bind", "torch-version", "safe-globals"};
  for (const auto& [k, v] : t) {
    bool known = false;
    for (const char* n : kKnown) known |= k.str() == n;
    if (!known) {
      std::ostringstream where;
      where << v.source().begin.line;
      return MakeError("config.unknown-key",
                       file + ":" + where.str() + ": unknown key [tool.ptlint] " + std::string(k.str()),
                       "known keys: src, checkpoints, exclude, select, ignore, per-file-ignores, "
                       "bind, torch-version, safe-globals");
    }
  }
  struct ListKey { const char* key; std::vector<std::string>* out; };
  for (ListKey lk : {ListKey{"src", &c.src}, ListKey{"checkpoints", &c.checkpoints},
                     ListKey{"exclude", &c.exclude}, ListKey{"select", &c.select},
                     ListKey{"ignore", &c.ignore}, ListKey{"safe-globals", &c.safe_globals}}) {
    auto list = StringList(t.get(lk.key), lk.key, file);
    if (!list.ok()) return list.error();
    *lk.out = std::move(list.value());
  }
  if (const toml::node* v = t.get("torch-version")) {
    if (!v->is_string()) return MakeError("config.type", file + ": torch-version must be a string");
    c.torch_version = v->as_string()->get();
  }
  if (const toml::node* v = t.get("per-file-ignores")) {
    const toml::table* pt = v->as_table();
    if (pt == nullptr) return MakeError("config.type", file + ": per-file-ignores must be a table");
    for (const auto& [glob, codes] : *pt) {
      auto list = StringList(&codes, "per-file-ignores." + std::string(glob.str()), file);
      if (!list.ok()) return list.error();
      c.per_file_ignores[std::string(glob.str())] = std::move(list.value());
    }
  }
  if (const toml::node* v = t.get("bind")) {
    const toml::table* bt = v->as_table();
    if (bt == nullptr) return MakeError("config.type", file + ": bind must be a table");
    for (const auto& [ckpt, cls] : *bt) {
      if (!cls.is_string()) return MakeError("config.type", file + ": bind values must be strings");
      c.bind[std::string(ckpt.str())] = cls.as_string()->get();
    }
  }
  return c;
}

}  // namespace

Result<ProjectConfig> ReadProjectConfigFile(const std::string& path) {
  toml::table parsed;
  // Read non-blocking and fstat-checked first: a FIFO named pyproject.toml
  // must not stall the run (byte_source.h).
  Result<std::string> text = ReadRegularFile(path, 16u << 20);
  if (!text.ok()) return MakeError("config.unreadable", text.error().message, text.error().hint);
  try {
    parsed = toml::parse(text.value(), path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return MakeError("config.syntax", msg.str(), "fix the TOML syntax");
  }
  const toml::table& root = parsed;
  bool is_pyproject = fs::path(path).filename() == "pyproject.toml";
  const toml::table* t = nullptr;
  if (is_pyproject) {
    if (const auto* tool = root.get_as<toml::table>("tool")) t = tool->get_as<toml::table>("ptlint");
  } else {
    t = &root;
  }
  if (t == nullptr) return MakeError("config.absent", path + " has no [tool.ptlint] table");
  return FromTable(*t, path);
}

Result<ProjectConfig> LoadProjectConfig(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    fs::path own = dir / "ptlint.toml";
    if (fs::exists(own, ec)) return ReadProjectConfigFile(own.string());
    fs::path py = dir / "pyproject.toml";
    if (fs::exists(py, ec)) {
      auto c = ReadProjectConfigFile(py.string());
      if (c.ok() || c.error().code != "config.absent") return c;
    }
    if (dir == dir.root_path()) break;
  }
  return ProjectConfig{};
}

std::optional<PinnedRequirement> DetectPinnedRequirement(const std::string& root,
                                                         const std::string& package) {
  // "<package><op><version>" after a line start, space, quote, bracket or
  // comma: "torch==2.4.1", "  \"numpy<2\",", "[torch>=2.6,<3]". A longer
  // name ("torchaudio", "numpy-stubs") does not match.
  std::string name;
  for (char c : package) {
    if (!std::isalnum(static_cast<unsigned char>(c))) name += '\\';
    name += c;
  }
  const std::regex req("(^|[\\s\"'\\[,])" + name + "\\s*(==|>=|~=|<=|<|>)\\s*([0-9]+(\\.[0-9]+)*)");
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    if ((n.rfind("requirements", 0) == 0 && e.path().extension() == ".txt") || n == "pyproject.toml") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Result<std::string> text = ReadRegularFile(f.string(), 16u << 20);  // never a FIFO
    if (!text.ok()) continue;
    std::istringstream in(text.value());
    std::string line;
    while (std::getline(in, line)) {
      if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::smatch m;
      if (std::regex_search(line, m, req)) return PinnedRequirement{m[2].str(), m[3].str()};
    }
  }
  return std::nullopt;
}

namespace {

fs::path AbsoluteNormal(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p.empty() ? std::string(".") : p, ec);
  if (ec) abs = fs::path(p);
  abs = abs.lexically_normal();
  // "a/b/" normalises to "a/b/" (an empty last component): drop it.
  std::string s = abs.generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return fs::path(s);
}

bool Glob(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// `text` or any of its leading folders ("a", "a/b" of "a/b/c.py") matches.
bool GlobOrAncestor(const std::string& pattern, const std::string& text) {
  if (Glob(pattern, text)) return true;
  for (size_t slash = text.find('/'); slash != std::string::npos; slash = text.find('/', slash + 1)) {
    if (slash > 0 && Glob(pattern, text.substr(0, slash))) return true;
  }
  return false;
}

}  // namespace

std::string PathRelativeTo(const std::string& path, const std::string& root) {
  fs::path rel = AbsoluteNormal(path).lexically_relative(AbsoluteNormal(root));
  std::string s = rel.generic_string();
  return s.empty() ? std::string(".") : s;
}

bool PathMatchesPattern(const std::string& path, const std::string& root, const std::string& raw,
                        bool entry_only) {
  std::string pattern = raw;
  while (pattern.rfind("./", 0) == 0) pattern.erase(0, 2);
  while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
  if (pattern.empty() || pattern == ".") return false;
  auto match = [entry_only](const std::string& p, const std::string& text) {
    return entry_only ? Glob(p, text) : GlobOrAncestor(p, text);
  };
  if (pattern.front() == '/') return match(pattern, AbsoluteNormal(path).generic_string());
  std::string rel = PathRelativeTo(path, root);
  bool inside = rel != ".." && rel.rfind("../", 0) != 0;
  if (pattern.find('/') == std::string::npos) {
    // A name: any component (of the root-relative path when inside the root).
    fs::path parts = inside ? fs::path(rel) : fs::path(path).lexically_normal();
    if (entry_only) return Glob(pattern, AbsoluteNormal(path).filename().string());
    for (const fs::path& part : parts) {
      std::string name = part.string();
      if (!name.empty() && name != "." && name != ".." && Glob(pattern, name)) return true;
    }
    return false;
  }
  if (!inside) return false;
  if (match(pattern, rel)) return true;
  if (pattern.rfind("**/", 0) == 0) return match(pattern.substr(3), rel);
  return false;
}

bool PathMatchesAny(const std::string& path, const std::string& root,
                    const std::vector<std::string>& patterns, bool entry_only) {
  for (const std::string& p : patterns) {
    if (PathMatchesPattern(path, root, p, entry_only)) return true;
  }
  return false;
}

}  // namespace ptlint
