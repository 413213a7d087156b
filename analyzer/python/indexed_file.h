// The facts one indexed Python file yields: its imports, `__all__`, main
// guard, module-level assignments, classes and functions.
//
// Two extractions produce them: the byte-level pre-scan (python_prescan.h)
// and the tree-based one (ModuleIndex's ExtractFromTree), and ModuleIndex
// (module_index.h) stores and resolves them. The types live here, below
// both, so that the pre-scan does not depend on the index that calls it.
#ifndef PTLINT_ANALYZER_PYTHON_INDEXED_FILE_H_
#define PTLINT_ANALYZER_PYTHON_INDEXED_FILE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/python/python_source.h"

namespace ptlint {

struct ClassInfo {
  std::string name;            // "Encoder"
  std::string qualified_name;  // "pkg.models.Encoder"
  // Other importable names: "__main__.Encoder" for a script with a main
  // guard, "pkg.Encoder" when pkg/__init__.py re-exports it.
  std::vector<std::string> other_names;
  std::string module;  // "pkg.models"
  std::string path;    // file path
  SourcePosition position;
  bool nested = false;                  // inside a function or class: not importable
  std::vector<std::string> base_texts;  // as written: "nn.Module"
  std::vector<std::string> bases;       // resolved: "torch.nn.Module" (or as written if unresolved)
  std::vector<std::string> methods;     // names of methods defined in the body
  std::optional<int64_t> version;       // class attribute `_version = N`
  bool overrides_load_from_state_dict = false;
  bool overrides_get_extra_state = false;
  bool registers_load_pre_hook =
      false;  // _register_load_state_dict_pre_hook(...) anywhere in the body
  bool overrides_state_dict = false;  // state_dict / _save_to_state_dict override
  TSNode node{};                      // the class_definition; valid while the file's tree lives
};

struct FunctionInfo {
  std::string name;
  std::string qualified_name;
  std::string module;
  std::string path;
  SourcePosition position;
  TSNode node{};  // function_definition
};

struct ImportBinding {
  std::string local_name;         // name bound in the importing module ("nn")
  std::string target;             // absolute dotted target ("torch.nn", "pkg.x.Encoder")
  bool is_module_import = false;  // `import a.b` / `import a.b as c` (target is a module)
  SourcePosition position;
};

// What the pre-scan knows of a module-level assignment's right-hand side
// before the file's tree exists, enough to follow aliases (`Block = ResBlock`).
struct AssignmentShape {
  enum class Kind : uint8_t {
    kOther,   // neither a name nor a dotted attribute
    kName,    // an identifier or a dotted attribute (`a.b.c`): `text` is it as written
    kUnsure,  // ends like an attribute (`f(x).y`): the tree decides
  };
  Kind kind = Kind::kOther;
  std::string text;
};

// One indexed file.
//
// Lazy trees: ModuleIndex indexes most files from a byte-level pre-scan
// (python_prescan.h) and builds their tree-sitter tree on first use. Every
// field below is exact from the start except the TSNodes (ClassInfo::node,
// FunctionInfo::node, the values of `assignments`) and `has_syntax_errors`,
// which are valid once the file is materialised. A file is materialised by
// any use of its tree (`parsed.tree`, `parsed.Root()`), and by ModuleIndex's
// FindFile, FindModule, FindClass, FindFunction, Resolve, ResolveAbsolute and
// Materialize for the files they return; files() and AllClasses() do not
// materialise (call FindFile(cls->path) or Materialize before reading nodes).
struct IndexedFile {
  IndexedFile() = default;
  // The deferred tree's loader points here: an IndexedFile stays where it was
  // made (ModuleIndex holds them by unique_ptr).
  IndexedFile(const IndexedFile&) = delete;
  IndexedFile& operator=(const IndexedFile&) = delete;
  IndexedFile(IndexedFile&&) = delete;
  IndexedFile& operator=(IndexedFile&&) = delete;

  DiscoveredFile info;
  ParsedPython parsed;  // the source always; the tree possibly deferred (see above)
  std::vector<ImportBinding> imports;
  std::vector<std::string> star_imports;  // absolute module names of `from x import *`
  bool has_all = false;
  std::vector<std::string> all;  // __all__ when it is a literal list/tuple
  bool has_main_guard = false;
  // Module-level `NAME = <expr>` (last one wins), for constants and aliases.
  std::map<std::string, TSNode> assignments;
  std::vector<ClassInfo> classes;       // module-level first, nested after
  std::vector<FunctionInfo> functions;  // module-level only
  bool has_syntax_errors = false;       // exact once materialised

  // True once the tree exists (or was never deferred).
  bool materialized() const { return parsed.tree.loaded(); }
  // Lazy indexing bookkeeping (see above): indexed from the pre-scan; the
  // right-hand sides of `assignments` until materialised; set when the tree
  // disagreed with the pre-scan (the pre-scan's facts are kept, and nodes
  // it found no match for point into a placeholder tree).
  bool prescanned = false;
  std::map<std::string, AssignmentShape, std::less<>> assignment_shapes;
  bool prescan_mismatch = false;
};

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_INDEXED_FILE_H_
