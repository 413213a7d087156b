// The LSP vocabulary ptlint speaks: error codes, URIs, positions in the
// negotiated encoding, and ptlint Diagnostics as LSP JSON. No server state.
#ifndef PTLINT_LSP_PROTOCOL_H_
#define PTLINT_LSP_PROTOCOL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rules/core/diagnostic.h"

namespace ptlint::lsp {

// JSON-RPC / LSP error codes.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerNotInitialized = -32002,
  kRequestCancelled = -32800,
  kContentModified = -32801,
};

enum class PositionEncoding { kUtf16, kUtf8 };
const char* PositionEncodingName(PositionEncoding e);  // "utf-16", "utf-8"

// file:// URIs <-> absolute paths, percent-encoding what RFC 3986 does not
// allow in a path. nullopt for other schemes or malformed escapes.
std::string UriFromPath(const std::string& absolute_path);
std::optional<std::string> PathFromUri(std::string_view uri);

// A position in a line: `character` in the negotiated encoding <-> a byte
// column in the UTF-8 line. Out-of-range values clamp to the line's end;
// a character in the middle of a UTF-16 surrogate pair or a UTF-8 sequence
// snaps to the code point's start.
size_t ByteColumn(std::string_view line, uint32_t character, PositionEncoding encoding);
uint32_t CharacterOf(std::string_view line, size_t byte_column, PositionEncoding encoding);

// The text of 0-based line `line` of `text` (without the newline); empty past the end.
std::string_view LineOf(std::string_view text, uint32_t line);
// Byte offset of (line, byte column) in `text`, clamped.
size_t OffsetOf(std::string_view text, uint32_t line, size_t byte_column);

// Where a ptlint diagnostic's file lives and what its lines are.
struct DiagnosticContext {
  PositionEncoding encoding = PositionEncoding::kUtf16;
  bool related_information = true;
  // Absolute path of a diagnostic path (relative ones are relative to the root).
  std::function<std::string(const std::string& path)> absolute;
  // The text of a 1-based line of an absolute path (open document or disk).
  std::function<std::optional<std::string>(const std::string& path, int line)> line_text;
};

// An LSP Range for a ptlint SourceRange (1-based lines and byte columns;
// line 0 is the file as a whole -> 0:0-0:0; a missing end is the line's end).
nlohmann::json ToLspRange(const SourceRange& range, const DiagnosticContext& context);

// An LSP Diagnostic: source, code, codeDescription.href, severity, message
// (headline, then PyTorch's error and the fix), range, relatedInformation.
nlohmann::json ToLspDiagnostic(const Diagnostic& diagnostic, const DiagnosticContext& context);

// The rule's documentation page.
std::string RuleHref(const std::string& code);

// JSON-RPC envelopes.
nlohmann::json Response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json ErrorResponse(const nlohmann::json& id, int code, const std::string& message,
                             const nlohmann::json& data = nullptr);
nlohmann::json Notification(const std::string& method, nlohmann::json params);
nlohmann::json Request(const nlohmann::json& id, const std::string& method, nlohmann::json params);

}  // namespace ptlint::lsp

#endif  // PTLINT_LSP_PROTOCOL_H_
