// A byte-level pre-scan of a Python file that yields what ModuleIndex
// extracts from the tree-sitter tree (imports, `__all__`, the main guard,
// module-level assignments, classes with their bases, methods and `_version`,
// module-level functions), without building a tree: about 20x faster than
// tree-sitter's parse, so a workspace can be indexed at once and its trees
// built only for the files whose nodes are asked for.
//
// It models exactly the subset of Python it recognises and refuses the rest:
// whenever a file holds anything whose tree-sitter reading it does not model
// exactly (syntax errors it can see, tabs in indentation, CR or form feeds,
// non-ASCII outside strings, `match`, Python 2 print statements, f-string
// expressions with comments or backslashes, unusual `__all__` or main-guard
// shapes, mentions of load-state-dict pre-hooks, ...), it returns false with a
// reason and the caller parses the file instead. The result for an accepted
// file equals ModuleIndex's tree-based extraction field for field, nodes
// aside (python_prescan_test checks this on torch's own package).
//
// Never executes anything; linear in the input; bounded recursion.
#ifndef PTLINT_ANALYZER_PYTHON_PYTHON_PRESCAN_H_
#define PTLINT_ANALYZER_PYTHON_PYTHON_PRESCAN_H_

#include <string_view>

#include "analyzer/python/indexed_file.h"

namespace ptlint {

// Fills `file`'s imports, star_imports, has_all, all, has_main_guard,
// assignments (keys only: null nodes), assignment_shapes, classes and
// functions (null nodes) from `source`, using file->info for module names.
// Returns false, with the fields cleared and `*reason` set (a static string),
// when the file needs a real parse.
bool PrescanPython(std::string_view source, IndexedFile* file, const char** reason = nullptr);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PYTHON_PRESCAN_H_
