#include "lsp/protocol.h"

#include <algorithm>
#include <cctype>

#include "rules/registry.h"

namespace ptlint::lsp {

const char* PositionEncodingName(PositionEncoding e) {
  return e == PositionEncoding::kUtf8 ? "utf-8" : "utf-16";
}

namespace {

bool Unreserved(unsigned char c) {
  // What VS Code's URI.file() leaves as is in a path.
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the UTF-8 sequence starting with `lead` (1 for invalid bytes).
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

std::string UriFromPath(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> PathFromUri(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.size() < kScheme.size()) return std::nullopt;
  std::string scheme(uri.substr(0, kScheme.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != kScheme) return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  // Authority: empty or "localhost".
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view authority = rest.substr(0, slash);
  if (!authority.empty() && authority != "localhost") return std::nullopt;
  rest = rest.substr(slash);
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '?' || c == '#') break;
    if (c == '%') {
      if (i + 2 >= rest.size()) return std::nullopt;
      int hi = Hex(rest[i + 1]), lo = Hex(rest[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  if (out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

size_t ByteColumn(std::string_view line, uint32_t character, PositionEncoding encoding) {
  if (encoding == PositionEncoding::kUtf8) {
    size_t b = std::min<size_t>(character, line.size());
    while (b > 0 && b < line.size() && (static_cast<unsigned char>(line[b]) & 0xC0) == 0x80) --b;
    return b;
  }
  size_t b = 0;
  uint32_t units = 0;
  while (b < line.size()) {
    size_t len = std::min(SequenceLength(static_cast<unsigned char>(line[b])), line.size() - b);
    uint32_t w = len == 4 ? 2 : 1;
    if (units + w > character) break;
    units += w;
    b += len;
  }
  return b;
}

uint32_t CharacterOf(std::string_view line, size_t byte_column, PositionEncoding encoding) {
  byte_column = std::min(byte_column, line.size());
  if (encoding == PositionEncoding::kUtf8) return static_cast<uint32_t>(byte_column);
  uint32_t units = 0;
  size_t b = 0;
  while (b < byte_column) {
    size_t len = std::min(SequenceLength(static_cast<unsigned char>(line[b])), line.size() - b);
    if (b + len > byte_column) break;
    units += len == 4 ? 2 : 1;
    b += len;
  }
  return units;
}

std::string_view LineOf(std::string_view text, uint32_t line) {
  size_t start = 0;
  for (uint32_t n = 0; n < line; ++n) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view l = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

size_t OffsetOf(std::string_view text, uint32_t line, size_t byte_column) {
  size_t start = 0;
  for (uint32_t n = 0; n < line; ++n) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return text.size();
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  return std::min(start + byte_column, end);
}


nlohmann::json ToLspRange(const SourceRange& r, const DiagnosticContext& ctx) {
  auto pos = [](uint32_t line, uint32_t character) {
    return nlohmann::json{{"line", line}, {"character", character}};
  };
  if (r.line <= 0) return {{"start", pos(0, 0)}, {"end", pos(0, 0)}};
  std::string abs = ctx.absolute ? ctx.absolute(r.path) : r.path;
  auto text_of = [&](int line) -> std::string {
    if (!ctx.line_text) return {};
    auto t = ctx.line_text(abs, line);
    return t ? *t : std::string();
  };
  std::string start_line = text_of(r.line);
  uint32_t sc = CharacterOf(start_line, r.column > 0 ? static_cast<size_t>(r.column - 1) : 0, ctx.encoding);
  int end_line = r.end_line > 0 ? r.end_line : r.line;
  uint32_t ec;
  if (r.end_line > 0 && r.end_column > 0) {
    std::string el = end_line == r.line ? start_line : text_of(end_line);
    ec = CharacterOf(el, static_cast<size_t>(r.end_column - 1), ctx.encoding);
  } else {
    // Whole line from the column (or from the first non-blank).
    if (r.column <= 0) {
      size_t first = start_line.find_first_not_of(" \t");
      sc = CharacterOf(start_line, first == std::string::npos ? 0 : first, ctx.encoding);
    }
    ec = CharacterOf(start_line, start_line.size(), ctx.encoding);
    end_line = r.line;
  }
  if (end_line == r.line && ec < sc) ec = sc;
  return {{"start", pos(static_cast<uint32_t>(r.line - 1), sc)},
          {"end", pos(static_cast<uint32_t>(end_line - 1), ec)}};
}

nlohmann::json ToLspDiagnostic(const Diagnostic& d, const DiagnosticContext& ctx) {
  nlohmann::json j;
  j["range"] = ToLspRange(d.location, ctx);
  j["severity"] = d.severity == Severity::kError ? 1 : d.severity == Severity::kWarning ? 2 : 3;
  j["code"] = d.code;
  j["codeDescription"] = {{"href", RuleDocumentationUrl(d.code)}};
  j["source"] = "ptlint";
  std::string message = d.message;
  if (!d.torch_error.empty()) message += "\n" + d.torch_error;
  if (!d.fix.empty()) message += "\nFix: " + d.fix;
  j["message"] = message;
  if (ctx.related_information && !d.related.empty()) {
    nlohmann::json related = nlohmann::json::array();
    for (const RelatedLocation& r : d.related) {
      std::string abs = ctx.absolute ? ctx.absolute(r.where.path) : r.where.path;
      related.push_back({{"location", {{"uri", UriFromPath(abs)}, {"range", ToLspRange(r.where, ctx)}}},
                         {"message", r.message.empty() ? r.where.path : r.message}});
    }
    j["relatedInformation"] = std::move(related);
  }
  return j;
}

nlohmann::json Response(const nlohmann::json& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json ErrorResponse(const nlohmann::json& id, int code, const std::string& message,
                             const nlohmann::json& data) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

nlohmann::json Notification(const std::string& method, nlohmann::json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

nlohmann::json Request(const nlohmann::json& id, const std::string& method, nlohmann::json params) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

}  // namespace ptlint::lsp
