#include "rules/core/diagnostic.h"

namespace ptlint {

bool DiagnosticLess(const Diagnostic& a, const Diagnostic& b) {
  if (a.location.path != b.location.path) return a.location.path < b.location.path;
  if (a.location.line != b.location.line) return a.location.line < b.location.line;
  if (a.location.column != b.location.column) return a.location.column < b.location.column;
  if (a.code != b.code) return a.code < b.code;
  if (a.byte_offset != b.byte_offset) return a.byte_offset < b.byte_offset;
  return a.message < b.message;
}

}  // namespace ptlint
