// textDocument/codeAction: quick fixes for ptlint's diagnostics.
//  - the rule's own fix (Diagnostic::edits), preferred;
//  - `# ptlint: ignore[CODE]` on the diagnostic's line, for every diagnostic.
#ifndef PTLINT_LSP_CODE_ACTIONS_H_
#define PTLINT_LSP_CODE_ACTIONS_H_

#include <string>

#include <nlohmann/json.hpp>

#include "lsp/protocol.h"
#include "lsp/workspace.h"

namespace ptlint::lsp {

// The edit that suppresses `code` on `line_text` (0-based `line`): appends
// `  # ptlint: ignore[CODE]`, or adds the code to an existing ignore list.
nlohmann::json SuppressionEdit(const std::string& line_text, uint32_t line, const std::string& code,
                               PositionEncoding encoding);

// CodeAction[] for the diagnostics of `path` (absolute) on lines
// [first_line, last_line] (0-based).
nlohmann::json CodeActions(const Workspace& workspace, const std::string& path, uint32_t first_line,
                           uint32_t last_line, const DiagnosticContext& context);

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_CODE_ACTIONS_H_
