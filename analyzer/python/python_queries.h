// The tree-sitter queries, embedded so that the installed binary works from
// any directory. GENERATED from grammars/python/queries/*.scm, which stay the
// single source: python_queries_test fails when the two differ, and
// `PTLINT_REGENERATE_QUERIES=1 build/python_queries_test` rewrites this file.
#ifndef PTLINT_ANALYZER_PYTHON_PYTHON_QUERIES_H_
#define PTLINT_ANALYZER_PYTHON_PYTHON_QUERIES_H_

namespace ptlint {

inline constexpr const char kPythonQuery_index[] = R"scm(; Module-level index: classes, functions, imports, __all__ and the
; `if __name__ == "__main__":` guard.
;
; Used by analyzer/python/python_source.cc (embedded at build time through
; analyzer/python/python_queries.h, which a test keeps identical to this file).
; The tree-sitter C library does not evaluate #eq?/#match? predicates:
; python_source.cc applies them in code. Captures nested in functions or
; classes are filtered out in code as well (queries cannot say "top level").

(class_definition
  name: (identifier) @class.name) @class

(function_definition
  name: (identifier) @function.name) @function

(import_statement) @import

(import_from_statement) @import.from

(assignment
  left: (identifier) @all.name
  right: (_) @all.value
  (#eq? @all.name "__all__")) @all

(augmented_assignment
  left: (identifier) @all.name
  right: (_) @all.value
  (#eq? @all.name "__all__")) @all.extend

(if_statement
  condition: (comparison_operator
    (identifier) @main.lhs
    (string) @main.rhs)
  (#eq? @main.lhs "__name__")) @main
)scm";

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PYTHON_QUERIES_H_
