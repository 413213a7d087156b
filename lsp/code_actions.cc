#include "lsp/code_actions.h"

#include <map>

namespace ptlint::lsp {

nlohmann::json SuppressionEdit(const std::string& line_text, uint32_t line, const std::string& code,
                               PositionEncoding encoding) {
  auto pos = [&](size_t byte) {
    return nlohmann::json{{"line", line}, {"character", CharacterOf(line_text, byte, encoding)}};
  };
  const std::string marker = "# ptlint: ignore[";
  size_t at = line_text.find(marker);
  if (at != std::string::npos) {
    size_t close = line_text.find(']', at + marker.size());
    if (close != std::string::npos) {
      std::string inside = line_text.substr(at + marker.size(), close - at - marker.size());
      std::string text = inside.find_first_not_of(" ") == std::string::npos ? code : ", " + code;
      return {{"range", {{"start", pos(close)}, {"end", pos(close)}}}, {"newText", text}};
    }
  }
  size_t end = line_text.size();
  while (end > 0 && (line_text[end - 1] == ' ' || line_text[end - 1] == '\t')) --end;
  return {{"range", {{"start", pos(end)}, {"end", pos(line_text.size())}}},
          {"newText", "  # ptlint: ignore[" + code + "]"}};
}

nlohmann::json CodeActions(const Workspace& ws, const std::string& path, uint32_t first_line,
                           uint32_t last_line, const DiagnosticContext& ctx) {
  nlohmann::json actions = nlohmann::json::array();
  for (const Diagnostic& d : ws.diagnostics()) {
    if (d.location.line <= 0 || ws.Absolute(d.location.path) != path) continue;
    uint32_t line0 = static_cast<uint32_t>(d.location.line - 1);
    uint32_t end0 = d.location.end_line > 0 ? static_cast<uint32_t>(d.location.end_line - 1) : line0;
    if (end0 < first_line || line0 > last_line) continue;
    nlohmann::json lsp_diag = ToLspDiagnostic(d, ctx);
    if (!d.edits.empty()) {
      std::map<std::string, nlohmann::json> changes;
      for (const TextEdit& e : d.edits) {
        SourceRange r = e.range;
        if (r.end_line <= 0) {
          r.end_line = r.line;
          r.end_column = r.column;
        }
        std::string abs = ws.Absolute(r.path.empty() ? d.location.path : r.path);
        auto& list = changes[UriFromPath(abs)];
        if (list.is_null()) list = nlohmann::json::array();
        list.push_back({{"range", ToLspRange(r, ctx)}, {"newText", e.new_text}});
      }
      nlohmann::json edit_changes = nlohmann::json::object();
      for (auto& [uri, list] : changes) edit_changes[uri] = std::move(list);
      std::string title = d.fix.empty() ? "Apply the " + d.code + " fix" : "Fix " + d.code + ": " + d.fix;
      if (title.size() > 120) title = title.substr(0, 117) + "...";
      actions.push_back({{"title", title},
                         {"kind", "quickfix"},
                         {"isPreferred", true},
                         {"diagnostics", nlohmann::json::array({lsp_diag})},
                         {"edit", {{"changes", edit_changes}}}});
    }
    auto line_text = ws.LineText(path, d.location.line);
    if (!line_text) continue;
    nlohmann::json edit = SuppressionEdit(*line_text, line0, d.code, ctx.encoding);
    actions.push_back({{"title", "Suppress " + d.code + " on this line"},
                       {"kind", "quickfix"},
                       {"diagnostics", nlohmann::json::array({lsp_diag})},
                       {"edit", {{"changes", {{UriFromPath(path), nlohmann::json::array({edit})}}}}}});
  }
  return actions;
}

}  // namespace ptlint::lsp
