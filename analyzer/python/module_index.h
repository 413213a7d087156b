// ModuleIndex: the project's Python source as an importable namespace.
//
// For every discovered file: its dotted module name(s), imports and
// re-exports, module-level classes and functions. For every class: whether
// it is a torch.nn.Module (directly, transitively, across files and through
// aliases) and the advisory flags that make state-dict diagnostics soft
// (`_version`, `_load_from_state_dict`, load pre-hooks, `get_extra_state`).
//
// The drift rules resolve pickled globals (`pkg.mod.Name`) against it, and
// state_dict_prediction.h interprets the classes' `__init__` bodies from it.
// The LSP keeps one alive and calls UpdateFile on every edit.
#ifndef PTLINT_ANALYZER_PYTHON_MODULE_INDEX_H_
#define PTLINT_ANALYZER_PYTHON_MODULE_INDEX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/python/python_source.h"
#include "analyzer/support/result.h"

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
  bool nested = false;                 // inside a function or class: not importable
  std::vector<std::string> base_texts; // as written: "nn.Module"
  std::vector<std::string> bases;      // resolved: "torch.nn.Module" (or as written if unresolved)
  std::vector<std::string> methods;    // names of methods defined in the body
  std::optional<int64_t> version;      // class attribute `_version = N`
  bool overrides_load_from_state_dict = false;
  bool overrides_get_extra_state = false;
  bool registers_load_pre_hook = false;  // _register_load_state_dict_pre_hook(...) anywhere in the body
  bool overrides_state_dict = false;     // state_dict / _save_to_state_dict override
  TSNode node{};                         // the class_definition; valid while the file's tree lives
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
  std::string local_name;  // name bound in the importing module ("nn")
  std::string target;      // absolute dotted target ("torch.nn", "pkg.x.Encoder")
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
  std::vector<std::string> all;           // __all__ when it is a literal list/tuple
  bool has_main_guard = false;
  // Module-level `NAME = <expr>` (last one wins), for constants and aliases.
  std::map<std::string, TSNode> assignments;
  std::vector<ClassInfo> classes;     // module-level first, nested after
  std::vector<FunctionInfo> functions;  // module-level only
  bool has_syntax_errors = false;  // exact once materialised

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

// What a dotted name refers to.
struct Symbol {
  enum class Kind { kUnresolved, kClass, kFunction, kModule, kExternal, kAssignment };
  Kind kind = Kind::kUnresolved;
  std::string qualified_name;  // canonical dotted name (external: as imported)
  const ClassInfo* cls = nullptr;
  const FunctionInfo* function = nullptr;
  const IndexedFile* file = nullptr;  // kModule, kAssignment: the defining file
  TSNode assignment{};                // kAssignment: the right-hand side
};

enum class ModuleKind { kModule, kNotModule, kUnknown };

struct ModuleClassification {
  ModuleKind kind = ModuleKind::kUnknown;
  // The chain that decided it: ["pkg.Block", "pkg.Base", "torch.nn.Module"],
  // or the base that could not be resolved.
  std::vector<std::string> chain;
};

// Summary of one UpdateFile call, for the LSP.
struct FileUpdate {
  std::vector<std::string> removed_classes;  // qualified names gone
  std::vector<std::string> changed_classes;  // new or with a changed body
  bool incremental = false;                   // tree-sitter reused the old tree
};

class ModuleIndex {
 public:
  ModuleIndex() = default;
  ModuleIndex(const ModuleIndex&) = delete;
  ModuleIndex& operator=(const ModuleIndex&) = delete;
  ModuleIndex(ModuleIndex&&) = default;
  ModuleIndex& operator=(ModuleIndex&&) = default;

  // Discovers and indexes everything under `roots` (trees deferred: see
  // IndexedFile). Per-file problems (unreadable, too large, syntax errors)
  // go to `problems`; never fatal.
  static ModuleIndex Build(const std::vector<std::string>& roots, const DiscoveryOptions& options,
                           std::vector<Error>* problems);

  // Adds (or replaces) one file from memory. Pre-scanned when the pre-scan
  // accepts it (tree deferred), parsed now otherwise.
  Result<bool> AddFile(const DiscoveredFile& info, std::string source);

  // Incremental re-analysis: applies `edit` (byte offsets and points in the old
  // text) to the file's tree, reparses `new_source` reusing it, and re-extracts
  // only this file's classes and functions.
  Result<FileUpdate> UpdateFile(const std::string& path, const TSInputEdit& edit,
                                std::string new_source);

  const std::vector<std::unique_ptr<IndexedFile>>& files() const { return files_; }
  const IndexedFile* FindFile(const std::string& path) const;
  const IndexedFile* FindModule(const std::string& module_name) const;

  // By qualified name or any other importable name ("__main__.X", re-exports).
  const ClassInfo* FindClass(const std::string& dotted) const;
  const FunctionInfo* FindFunction(const std::string& dotted) const;

  // Resolves `dotted` ("nn.Linear", "Encoder", "F.relu") as written in module
  // `module_name`, through imports, aliases, re-exports and star imports.
  Symbol Resolve(const std::string& module_name, const std::string& dotted) const;
  // Resolves an absolute dotted name ("pkg.Encoder", "torch.nn.Linear").
  Symbol ResolveAbsolute(const std::string& dotted) const;
  // Resolve for callers that need only names and kinds (qualified_name,
  // kind, cls/function for Classify): builds no tree, so the nodes of what
  // it returns may be null. Call-site extraction resolves every callee with
  // it; resolving `torch.x` inside torch's own package must not parse torch.
  Symbol ResolveName(const std::string& module_name, const std::string& dotted) const;

  // Is the class an nn.Module? Follows bases across files, memoised.
  ModuleClassification Classify(const ClassInfo& cls) const;

  // All classes, module-level and nested, in file order.
  std::vector<const ClassInfo*> AllClasses() const;

  uint64_t total_bytes() const { return total_bytes_; }

  // Builds `file`'s tree now if it was deferred (see IndexedFile). Cheap when
  // it already exists. Materialising never changes the index's names, classes
  // or functions: pointers stay valid and only nodes are filled in.
  void Materialize(const IndexedFile& file) const;
  // Every file (what an eager index did at Build).
  void MaterializeAll() const;

  struct Stats {
    size_t files = 0;
    size_t prescanned = 0;     // indexed from the pre-scan
    uint64_t parsed_bytes = 0; // bytes parsed at index time (pre-scan refused them)
    size_t materialized = 0;   // files with a tree now
    size_t mismatches = 0;     // materialised files whose tree disagreed with the pre-scan
  };
  Stats stats() const;

 private:
  Symbol ResolveIn(const IndexedFile& file, const std::string& dotted, int depth) const;
  Symbol ResolveAbsoluteImpl(const std::string& dotted, int depth) const;
  ModuleClassification ClassifyImpl(const ClassInfo& cls, int depth) const;
  // Lookups that never materialise (the public ones do).
  const IndexedFile* FindFileRaw(const std::string& path) const;
  const IndexedFile* FindModuleRaw(const std::string& module_name) const;
  // Materialises what a public lookup hands out and fills Symbol::assignment.
  Symbol Publish(Symbol s) const;
  void Register(size_t file_slot);
  void Unregister(size_t file_slot);
  void AddReexportNames();

  std::vector<std::unique_ptr<IndexedFile>> files_;
  std::unordered_map<std::string, size_t> by_path_;
  std::unordered_map<std::string, size_t> by_module_;
  // dotted name -> (file slot, index in file's classes/functions)
  std::unordered_map<std::string, std::pair<size_t, size_t>> classes_;
  std::unordered_map<std::string, std::pair<size_t, size_t>> functions_;
  mutable std::unordered_map<std::string, ModuleClassification> classify_memo_;
  uint64_t total_bytes_ = 0;
  uint64_t parsed_bytes_ = 0;
};

// The tree-based extraction (what the pre-scan must reproduce): fills `out`
// (imports, classes, ...; out->info must be set) from `parsed`'s tree.
void ExtractFromTree(const ParsedPython& parsed, IndexedFile* out);

// Is `qualified` one of torch's module base classes or built-in layers
// ("torch.nn.Module", "torch.nn.modules.linear.Linear", "torch.nn.ReLU")?
// Returns the short layer name ("Linear") or empty. Lightning's
// LightningModule (an nn.Module that registers no state of its own) counts
// as "Module".
std::string BuiltinModuleName(const std::string& qualified);

// Is `qualified` Lightning's LightningModule, under any of its import paths
// (lightning.pytorch, lightning, pytorch_lightning; the package or the
// defining module)?
bool IsLightningModuleBase(const std::string& qualified);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_MODULE_INDEX_H_
