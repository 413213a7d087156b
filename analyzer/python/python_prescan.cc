// The pre-scan's entry point. The pre-scan itself is in four parts (see
// prescan_lexer.h): prescan_lexer, prescan_expressions, prescan_blocks and
// prescan_facts.
#include "analyzer/python/python_prescan.h"

#include "analyzer/python/prescan_blocks.h"

namespace ptlint {

namespace {

void ClearFacts(IndexedFile* file) {
  file->imports.clear();
  file->star_imports.clear();
  file->has_all = false;
  file->all.clear();
  file->has_main_guard = false;
  file->assignments.clear();
  file->assignment_shapes.clear();
  file->classes.clear();
  file->functions.clear();
  file->has_syntax_errors = false;
}

}  // namespace

bool PrescanPython(std::string_view source, IndexedFile* file, const char** reason) {
  ClearFacts(file);
  prescan::Prescanner scanner(source, file);
  if (scanner.Run()) return true;
  ClearFacts(file);
  if (reason != nullptr) *reason = scanner.reason() != nullptr ? scanner.reason() : "refused";
  return false;
}

}  // namespace ptlint
