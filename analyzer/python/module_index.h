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
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/python/indexed_file.h"
#include "analyzer/python/python_source.h"
#include "analyzer/support/result.h"

namespace ptlint {

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
  // Thread-safe (the rest of the index is read-only once built, and its lazy
  // trees load safely: see LazyTree).
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
  // These files, on up to `threads` threads (parsing is most of a first
  // analysis with checkpoints; each file's tree is its own, and the parser
  // and query state are per thread). Returns when all are built.
  void MaterializeConcurrently(const std::vector<const IndexedFile*>& files, unsigned threads) const;

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
  // Classify may be called from several threads (structural binding predicts
  // candidates concurrently); the memo holds a cycle guard while a class is
  // being classified, which no other thread may read. In a pointer: the index
  // is movable.
  std::unique_ptr<std::recursive_mutex> classify_lock_ = std::make_unique<std::recursive_mutex>();
  uint64_t total_bytes_ = 0;
  uint64_t parsed_bytes_ = 0;
};

// The tree-based extraction (what the pre-scan must reproduce): fills `out`
// (imports, classes, ...; out->info must be set) from `parsed`'s tree. A
// tree without syntax errors is read statement by statement; one with errors
// (or any, with `by_query`: the test that both ways agree) by the index
// query (grammars/python/queries/index.scm), which finds a definition that
// error recovery put anywhere.
void ExtractFromTree(const ParsedPython& parsed, IndexedFile* out, bool by_query = false);

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
