#include "analyzer/project_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

// Debian's toml++ is a shared library built with exceptions; its parse_error
// is caught right here and comes back as a value (no exceptions cross ours).
#include <toml++/toml.h>

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
  try {
    parsed = toml::parse_file(path);
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

std::string DetectPinnedTorchVersion(const std::string& root) {
  // A torch requirement: "torch==2.4.1", "torch>=2.6,<3", "torch~=2.5".
  static const std::regex kReq(R"((^|[\s"'\[,])torch\s*(==|>=|~=|<=|>|<)\s*([0-9]+(\.[0-9]+)*))");
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
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::smatch m;
      if (std::regex_search(line, m, kReq)) return m[3].str();
    }
  }
  return {};
}

}  // namespace ptlint
