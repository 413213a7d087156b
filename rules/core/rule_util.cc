#include "rules/core/rule_util.h"

#include <filesystem>
#include <string_view>

#include "rules/core/quick_fix.h"

namespace ptlint {

std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path rel = std::filesystem::relative(path, std::filesystem::current_path(), ec);
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return path;
  return rel.generic_string();
}

SourceRange RangeAt(const SourceLocation& l) {
  return RangeAt(l.path, SourcePosition{l.line, l.column});
}

SourceRange CheckpointRange(const CheckpointContext& ctx) {
  SourceRange r;
  r.path = ctx.display_path;
  return r;
}

SourceRange BoundClassRange(const CheckpointContext& ctx) {
  const CheckpointBinding& b = ctx.analyzed.binding;
  if (!b.class_path.empty() && b.class_position.line > 0) return RangeAt(b.class_path, b.class_position);
  return CheckpointRange(ctx);
}

// Whether `line[at, at + size)` (`self.X`) is an assignment target: code, not
// a comment or a string's text, followed by `=` (not `==`), an annotation
// (`self.X: T = ...`) or the next target of a tuple (`self.X, self.Y = ...`).
// A comment that names it ("# self.conv1 and self.downsample ... != 1"), a
// comparison, `self.X.weight = ...` and `self.X[i] = ...` are not.
bool IsAssignmentTarget(std::string_view line, size_t at, size_t size) {
  size_t after = at + size;
  if (after < line.size() && (isalnum(static_cast<unsigned char>(line[after])) || line[after] == '_')) return false;
  if (at > 0 && (isalnum(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '_' || line[at - 1] == '.')) {
    return false;
  }
  // Before the target: only indentation or earlier tuple targets, with no
  // comment or string opened.
  for (size_t i = 0; i < at; ++i) {
    char c = line[i];
    if (c == '#' || c == '"' || c == '\'' || c == '=' || c == '(' || c == '[' || c == '{') return false;
  }
  size_t i = after;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size()) return false;
  if (line[i] == '=') return i + 1 >= line.size() || line[i + 1] != '=';
  if (line[i] != ':' && line[i] != ',') return false;
  // An annotation or a tuple target: a plain `=` must follow before any comment.
  for (size_t j = i + 1; j < line.size(); ++j) {
    char c = line[j];
    if (c == '#') return false;
    if (c != '=') continue;
    char prev = line[j - 1];
    bool next_eq = j + 1 < line.size() && line[j + 1] == '=';
    if (!next_eq && prev != '=' && prev != '!' && prev != '<' && prev != '>') return true;
    if (next_eq) ++j;
  }
  return false;
}

SourceRange AttributeAssignmentRange(const ProjectAnalysis& project, const std::string& class_path,
                                     uint32_t class_line, const std::string& attribute) {
  SourceRange r;
  r.path = DisplayPath(class_path);
  r.line = static_cast<int>(class_line);
  const std::string* source = IndexedSource(project, class_path);
  if (source == nullptr) return r;
  const std::string want = "self." + attribute;
  size_t start = 0;
  for (uint32_t n = 1; start < source->size(); ++n) {
    size_t end = source->find('\n', start);
    if (end == std::string::npos) end = source->size();
    std::string_view line(source->data() + start, end - start);
    start = end + 1;
    if (n <= class_line) continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '\r') {
      break;  // the class body ended
    }
    size_t at = line.find(want);
    if (at == std::string_view::npos || !IsAssignmentTarget(line, at, want.size())) continue;
    size_t after = at + want.size();
    r.line = static_cast<int>(n);
    r.column = static_cast<int>(at) + 1;
    r.end_line = r.line;
    r.end_column = static_cast<int>(after) + 1;
    return r;
  }
  return r;
}

std::string StripAnsi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      size_t end = text.find_first_of("ABCDEFGHJKSTfmnsu", i + 2);
      if (end != std::string::npos) {
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

const CallSite* BindingCallSite(const CheckpointContext& ctx) {
  int s = ctx.analyzed.binding.call_site;
  if (s < 0 || s >= static_cast<int>(ctx.project.call_sites.size())) return nullptr;
  return &ctx.project.call_sites[static_cast<size_t>(s)];
}

std::string ShortClassName(const std::string& q) {
  size_t dot = q.rfind('.');
  return dot == std::string::npos ? q : q.substr(dot + 1);
}

std::string QuotedList(const std::vector<std::string>& items, size_t max_items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) {
    if (i) s += (i + 1 == items.size() || i + 1 == max_items) && items.size() <= max_items ? " and " : ", ";
    s += "`" + items[i] + "`";
  }
  if (items.size() > max_items) s += " and " + std::to_string(items.size() - max_items) + " more";
  return s;
}

Diagnostic CheckpointDiagnostic(const RuleInfo& info, const CheckpointContext& ctx, int64_t offset) {
  Diagnostic d;
  d.code = info.code;
  d.severity = info.default_severity;
  d.checkpoint = ctx.display_path;
  d.location.path = ctx.display_path;
  d.byte_offset = offset;
  return d;
}

SourceRange RangeAt(const std::string& path, SourcePosition start, SourcePosition end) {
  SourceRange r;
  r.path = DisplayPath(path);
  r.line = static_cast<int>(start.line);
  r.column = static_cast<int>(start.column);
  r.end_line = static_cast<int>(end.line);
  r.end_column = static_cast<int>(end.column);
  return r;
}

SourceRange CallRange(const CallSite& site) { return RangeAt(site.path, site.start, site.end); }

void PlaceOnSource(Diagnostic& d, SourceRange where, const std::string& checkpoint_note) {
  RelatedLocation ckpt;
  ckpt.where.path = d.checkpoint;
  ckpt.message = checkpoint_note;
  if (d.byte_offset >= 0) ckpt.message += " (byte " + std::to_string(d.byte_offset) + ")";
  d.location = std::move(where);
  d.related.insert(d.related.begin(), std::move(ckpt));
}

std::vector<const CallSite*> LoadSitesOf(const CheckpointContext& ctx) {
  std::vector<const CallSite*> sites;
  for (int s : ctx.analyzed.load_sites) {
    if (s < 0 || static_cast<size_t>(s) >= ctx.project.call_sites.size()) continue;
    const CallSite& site = ctx.project.call_sites[static_cast<size_t>(s)];
    if (site.kind == CallKind::kTorchLoad) sites.push_back(&site);
  }
  return sites;
}


namespace {

// `a.*.b` covers `a.3.b`: `*` stands for one path component.
bool PathCovers(const std::string& pattern, const std::string& path) {
  size_t i = 0, j = 0;
  while (i <= pattern.size() && j <= path.size()) {
    size_t pe = pattern.find('.', i), qe = path.find('.', j);
    if (pe == std::string::npos) pe = pattern.size();
    if (qe == std::string::npos) qe = path.size();
    std::string_view a(pattern.data() + i, pe - i), b(path.data() + j, qe - j);
    if (a != "*" && a != b) return false;
    bool pattern_done = pe == pattern.size(), path_done = qe == path.size();
    if (pattern_done || path_done) return pattern_done && path_done;
    i = pe + 1;
    j = qe + 1;
  }
  return false;
}

}  // namespace

const MetadataEntry* PredictedModuleAt(const ExpectedStateDict& expected, const std::string& path) {
  const MetadataEntry* covering = nullptr;
  for (const MetadataEntry& m : expected.metadata) {
    if (m.path == path) return &m;
    if (covering == nullptr && m.is_pattern && m.path.find('*') != std::string::npos && PathCovers(m.path, path)) {
      covering = &m;
    }
  }
  return covering;
}

}  // namespace ptlint
