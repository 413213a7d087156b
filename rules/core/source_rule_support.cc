#include "rules/core/source_rule_support.h"

#include <algorithm>
#include <filesystem>

namespace ptlint {
namespace fs = std::filesystem;

std::string ModuleReprFromFile(const std::string& module, bool is_package) {
  std::string file = module;
  std::replace(file.begin(), file.end(), '.', '/');
  file += is_package ? "/__init__.py" : ".py";
  return "<module '" + module + "' from '.../" + file + "'>";
}

namespace {
const IndexedFile* FileAt(const ProjectAnalysis& project, const std::string& path) {
  if (const IndexedFile* f = project.index.FindFile(path)) return f;
  for (const auto& f : project.index.files()) {
    if (f && DisplayPath(f->info.path) == DisplayPath(path)) return f.get();
  }
  return nullptr;
}

// Byte offset of the start of 1-based `line`, or npos.
size_t LineStart(const std::string& source, uint32_t line) {
  if (line == 0) return std::string::npos;
  size_t at = 0;
  for (uint32_t l = 1; l < line; ++l) {
    at = source.find('\n', at);
    if (at == std::string::npos) return std::string::npos;
    ++at;
  }
  return at;
}
}  // namespace

std::string SourceLine(const ProjectAnalysis& project, const std::string& path, uint32_t line) {
  const IndexedFile* f = FileAt(project, path);
  if (f == nullptr) return {};
  const std::string& src = f->parsed.source;
  size_t begin = LineStart(src, line);
  if (begin == std::string::npos || begin > src.size()) return {};
  size_t end = src.find('\n', begin);
  return src.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string SourceFrom(const ProjectAnalysis& project, const std::string& path, SourcePosition at,
                       size_t max) {
  const IndexedFile* f = FileAt(project, path);
  if (f == nullptr || at.column == 0) return {};
  const std::string& src = f->parsed.source;
  size_t begin = LineStart(src, at.line);
  if (begin == std::string::npos) return {};
  begin += at.column - 1;
  if (begin >= src.size()) return {};
  return src.substr(begin, max);
}

size_t EditDistance(std::string_view a, std::string_view b, size_t cap) {
  size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > cap) return cap + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > cap) return cap + 1;
  }
  return std::min(row[b.size()], cap + 1);
}

std::vector<const ClassInfo*> ClassesNamed(const ModuleIndex& index, const std::string& simple_name) {
  std::vector<const ClassInfo*> out;
  for (const ClassInfo* c : index.AllClasses()) {
    if (!c->nested && c->name == simple_name) out.push_back(c);
  }
  return out;
}

std::string SimpleName(const std::string& qualname) {
  size_t dot = qualname.rfind('.');
  return dot == std::string::npos ? qualname : qualname.substr(dot + 1);
}

}  // namespace ptlint
