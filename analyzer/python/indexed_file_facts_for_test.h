// Test support: a file's module-level import facts as text, one per line,
// so that tests comparing two ways of indexing a file (the pre-scan against
// the tree, the statement walk against the tree query) write them alike.
#ifndef PTLINT_ANALYZER_PYTHON_INDEXED_FILE_FACTS_FOR_TEST_H_
#define PTLINT_ANALYZER_PYTHON_INDEXED_FILE_FACTS_FOR_TEST_H_

#include <ostream>

#include "analyzer/python/indexed_file.h"

namespace ptlint {

// Imports (with positions), star imports and `__all__`.
inline void WriteImportFacts(const IndexedFile& f, std::ostream& o) {
  for (const auto& i : f.imports) {
    o << "import " << i.local_name << "=" << i.target << (i.is_module_import ? " module" : "") << " @"
      << i.position.line << ":" << i.position.column << "\n";
  }
  for (const auto& s : f.star_imports) o << "star " << s << "\n";
  o << "has_all " << f.has_all << "\n";
  for (const auto& a : f.all) o << "all " << a << "\n";
}

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_INDEXED_FILE_FACTS_FOR_TEST_H_
