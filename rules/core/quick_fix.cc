#include "rules/core/quick_fix.h"

#include <cctype>

#include "rules/core/rule_util.h"

namespace ptlint {

const std::string* IndexedSource(const ProjectAnalysis& project, const std::string& path) {
  if (!project.has_source) return nullptr;
  for (const auto& f : project.index.files()) {
    if (f && f->info.path == path) return &f->parsed.source;
  }
  return nullptr;
}

namespace {

size_t LineStart(const std::string& source, int line) {
  size_t at = 0;
  for (int n = 1; n < line; ++n) {
    size_t nl = source.find('\n', at);
    if (nl == std::string::npos) return std::string::npos;
    at = nl + 1;
  }
  return at;
}

}  // namespace

SourceRange RangeOfBytes(const std::string& path, const std::string& source, size_t start, size_t end) {
  auto point = [&](size_t offset, int* line, int* column) {
    *line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset && i < source.size(); ++i) {
      if (source[i] == '\n') {
        ++*line;
        line_start = i + 1;
      }
    }
    *column = static_cast<int>(offset - line_start) + 1;
  };
  SourceRange r;
  r.path = DisplayPath(path);
  point(start, &r.line, &r.column);
  point(end, &r.end_line, &r.end_column);
  return r;
}

std::optional<std::pair<size_t, size_t>> LoadStateDictArgument(const ProjectAnalysis& project,
                                                               const CallSite& site) {
  const std::string* source = IndexedSource(project, site.path);
  if (source == nullptr || site.argument_text.empty() || site.start.line == 0) return std::nullopt;
  size_t start = LineStart(*source, static_cast<int>(site.start.line));
  if (start == std::string::npos) return std::nullopt;
  start += site.start.column - 1;
  size_t name = source->find("load_state_dict", start);
  if (name == std::string::npos) return std::nullopt;
  size_t open = source->find('(', name);
  if (open == std::string::npos) return std::nullopt;
  size_t arg = open + 1;
  while (arg < source->size() && std::isspace(static_cast<unsigned char>((*source)[arg]))) ++arg;
  if (source->compare(arg, site.argument_text.size(), site.argument_text) != 0) return std::nullopt;
  return std::make_pair(arg, arg + site.argument_text.size());
}

std::string AsOperand(const std::string& expr) {
  int depth = 0;
  for (char c : expr) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (depth == 0 && !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ')' ||
                        c == ']')) {
      return "(" + expr + ")";
    }
  }
  return expr;
}

std::optional<TextEdit> InsertLinesBefore(const ProjectAnalysis& project, const std::string& path,
                                          int line, const std::vector<std::string>& lines) {
  const std::string* source = IndexedSource(project, path);
  if (source == nullptr || line <= 0) return std::nullopt;
  size_t start = LineStart(*source, line);
  if (start == std::string::npos) return std::nullopt;
  // Does the line continue an earlier one? Count open brackets before it
  // (strings and comments are skipped roughly: quotes toggle, '#' to newline).
  int depth = 0;
  char quote = 0;
  bool backslash = false;
  for (size_t i = 0; i < start; ++i) {
    char c = (*source)[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '#') {
      while (i < start && (*source)[i] != '\n') ++i;
      backslash = false;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') --depth;
    if (c != '\n' && c != ' ' && c != '\r') backslash = c == '\\';
  }
  if (depth != 0 || quote != 0 || backslash) return std::nullopt;
  size_t indent_end = start;
  while (indent_end < source->size() && ((*source)[indent_end] == ' ' || (*source)[indent_end] == '\t')) {
    ++indent_end;
  }
  std::string indent = source->substr(start, indent_end - start);
  TextEdit edit;
  edit.range = RangeOfBytes(path, *source, start, start);
  for (const std::string& l : lines) edit.new_text += indent + l + "\n";
  return edit;
}

std::optional<TextEdit> AppendLine(const ProjectAnalysis& project, const std::string& path,
                                   const std::string& line) {
  const std::string* source = IndexedSource(project, path);
  if (source == nullptr) return std::nullopt;
  TextEdit edit;
  edit.range = RangeOfBytes(path, *source, source->size(), source->size());
  edit.new_text = (source->empty() || source->back() == '\n' ? "" : "\n") + line + "\n";
  return edit;
}

namespace {

std::vector<std::string> SourceLinesOf(const std::string& source) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= source.size()) {
    size_t end = source.find('\n', start);
    std::string line = source.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

bool ImportsModule(const std::string& source, const std::string& module) {
  for (const std::string& line : SourceLinesOf(source)) {
    if (line.rfind("import ", 0) != 0) continue;  // top level only
    std::string names = line.substr(7);
    names = names.substr(0, names.find('#'));
    size_t start = 0;
    while (start <= names.size()) {
      size_t comma = names.find(',', start);
      std::string name = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t b = name.find_first_not_of(" \t"), e = name.find_last_not_of(" \t");
      if (b != std::string::npos && name.substr(b, e - b + 1) == module) return true;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return false;
}

std::optional<TextEdit> ImportModuleEdit(const ProjectAnalysis& project, const std::string& path,
                                         const std::string& module) {
  const std::string* source = IndexedSource(project, path);
  if (source == nullptr || ImportsModule(*source, module)) return std::nullopt;
  std::vector<std::string> lines = SourceLinesOf(*source);
  int at = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if ((l.rfind("import ", 0) == 0 || l.rfind("from ", 0) == 0) && l.rfind("from __future__", 0) != 0) {
      at = static_cast<int>(i) + 1;
      break;
    }
  }
  TextEdit edit;
  if (at == 0) {
    // No top-level import: after `from __future__` lines if any, else at the top.
    size_t after_future = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("from __future__", 0) == 0) after_future = i + 1;
    }
    at = static_cast<int>(after_future) + 1;
  }
  auto inserted = InsertLinesBefore(project, path, at, {"import " + module});
  if (!inserted && at > static_cast<int>(lines.size())) {
    edit.range = RangeOfBytes(path, *source, source->size(), source->size());
    edit.new_text = std::string(source->empty() || source->back() == '\n' ? "" : "\n") + "import " + module + "\n";
    return edit;
  }
  return inserted;
}

}  // namespace ptlint
