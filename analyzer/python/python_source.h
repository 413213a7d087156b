// Python source files: discovery under roots, dotted module names as Python
// would import them, and tree-sitter parsing (full and incremental).
//
// Nothing here imports or executes the scanned code: it is read as text.
#ifndef PTLINT_ANALYZER_PYTHON_PYTHON_SOURCE_H_
#define PTLINT_ANALYZER_PYTHON_PYTHON_SOURCE_H_

#include <tree_sitter/api.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/support/result.h"

extern "C" const TSLanguage* tree_sitter_python();

namespace ptlint {

// 1-based line and column (column in bytes) of a node's start.
struct SourcePosition {
  uint32_t line = 0;
  uint32_t column = 0;
};

struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;

// A syntax tree that may be built on first use: a drop-in for TreePtr
// (get(), reset(), release(), `if (tree)`). When a loader is set, the first
// get() (or boolean test) calls it; the loader parses and reset()s the tree.
// ModuleIndex uses this to index files from a byte-level pre-scan and parse
// them only when something asks for their nodes.
//
// The first load is thread-safe: structural binding predicts candidates on
// several threads, and any of them may be the first to need a file's nodes.
// A thread that finds the tree loading waits until the loader has returned,
// so it never sees a tree whose file's nodes are half filled in. The loader
// itself may read its own tree (the loading thread passes through). Moving,
// SetLoader and reset() from outside a load stay single-threaded, as when
// the index is built or edited.
class LazyTree {
 public:
  using Loader = void (*)(void* owner);

  LazyTree() = default;
  LazyTree(LazyTree&& other) noexcept { *this = std::move(other); }
  LazyTree& operator=(LazyTree&& other) noexcept {
    if (this != &other) {
      tree_ = std::move(other.tree_);
      loader_ = other.loader_;
      owner_ = other.owner_;
      lock_ = std::move(other.lock_);
      ready_.store(other.ready_.load(std::memory_order_relaxed), std::memory_order_relaxed);
      other.loader_ = nullptr;
      other.owner_ = nullptr;
      other.ready_.store(true, std::memory_order_relaxed);
    }
    return *this;
  }

  // The tree, loading it first if a loader is pending. nullptr when there is
  // none (never parsed, or the parse failed).
  TSTree* get() const {
    if (!ready_.load(std::memory_order_acquire)) LoadOnce();
    return tree_.get();
  }
  explicit operator bool() const { return get() != nullptr; }
  // Replaces the tree and drops any pending loader.
  void reset(TSTree* tree = nullptr) {
    loader_ = nullptr;
    owner_ = nullptr;
    tree_.reset(tree);
    // Inside the loader, the load is not over until it returns (LoadOnce
    // marks it ready then).
    if (!in_load_) ready_.store(true, std::memory_order_release);
  }
  TSTree* release() {
    get();
    return tree_.release();
  }

  // Defers the tree: `loader(owner)` runs on first use and must reset() it.
  void SetLoader(Loader loader, void* owner) {
    loader_ = loader;
    owner_ = owner;
    if (loader != nullptr && lock_ == nullptr) lock_ = std::make_unique<std::recursive_mutex>();
    ready_.store(loader == nullptr, std::memory_order_release);
  }
  // True when no load is pending (the tree is built, or was never deferred).
  bool loaded() const { return ready_.load(std::memory_order_acquire); }
  // The tree as it is now: never loads.
  TSTree* peek() const { return tree_.get(); }

 private:
  void LoadOnce() const;  // python_source.cc

  TreePtr tree_;
  // Recursive: the loader reads its own tree (ModuleIndex's extracts the
  // file's nodes from it). Loads of different trees run at once (parsing
  // files on several threads): a loader must not load another tree.
  std::unique_ptr<std::recursive_mutex> lock_;
  // Written only under lock_ (or single-threaded, see above).
  mutable Loader loader_ = nullptr;
  void* owner_ = nullptr;
  mutable bool in_load_ = false;
  mutable std::atomic<bool> ready_{true};
};

// One parsed file. Owns the source bytes the tree's nodes point into.
struct ParsedPython {
  std::string source;
  LazyTree tree;

  // The root node (building a deferred tree first); a null node without a tree.
  TSNode Root() const {
    TSTree* t = tree.get();
    return t != nullptr ? ts_tree_root_node(t) : TSNode{};
  }
  std::string_view Text(TSNode node) const;
};

// Parses `source`. With `old_tree` (already edited with ts_tree_edit), the
// parse is incremental. Errors only when tree-sitter gives up (timeout or an
// ABI mismatch); syntax errors become ERROR nodes, which callers skip.
Result<ParsedPython> ParsePython(std::string source, const TSTree* old_tree = nullptr);

// The tree alone, for a source the caller keeps (it must outlive the tree's
// use). Same limits and errors as ParsePython. Reuses one parser per thread.
Result<TreePtr> ParsePythonTree(std::string_view source, const TSTree* old_tree = nullptr);

SourcePosition PositionOf(TSNode node);

// Child by field name, without the strlen at every call site.
TSNode Field(TSNode node, const char* field);
// The id of field `name` in `language` (0 when it has none), looked up once
// per name: ts_language_field_id_for_name scans the grammar's names.
TSFieldId FieldId(const TSLanguage* language, const char* name);
bool IsType(TSNode node, const char* type);
// Can a node of this type hold a statement (module, block, a definition, a
// compound statement or one of its clauses)? Expressions cannot: walks that
// look for statements descend only through these.
bool HoldsStatements(const char* type);

// The named children of `node`, in order: exactly the nodes
// ts_node_named_child(node, 0 .. ts_node_named_child_count(node) - 1) returns
// (hidden nodes looked through, aliased ones under their alias, comments
// included), found in one walk. libtree-sitter 0.20's ts_node_named_child(i)
// starts over from the first child on every call, so a loop over i is
// quadratic in the number of children. Empty for a null node.
std::vector<TSNode> NamedChildren(TSNode node);

// The tree-sitter query compiled from grammars/python/queries/index.scm.
// Compiled once, shared, never freed. nullptr (with the error in *error) if
// the embedded text does not compile against the grammar.
const TSQuery* IndexQuery(std::string* error = nullptr);

// A .py file found under a root, with the dotted name Python would import it as.
struct DiscoveredFile {
  std::string path;         // as found (root-relative roots stay relative)
  std::string module_name;  // "pkg.sub.mod"; "pkg" for pkg/__init__.py
  bool is_package = false;  // an __init__.py
  uint64_t size = 0;
  // The name the file has when a script beside it runs from its own folder
  // (`python train.py` puts that folder first on sys.path): relative to the
  // nearest folder above it that is not a package, when that folder is below
  // the scan's import root. In a monorepo of script folders, `a/train.py`
  // imports `a/models.py` as `models`, and pickles `models.Net`. Empty when
  // it is the module name itself.
  std::string script_module_name;
};

struct DiscoveryOptions {
  // Path components or globs (fnmatch, matched against each path component and
  // against the root-relative path) to skip. The defaults skip VCS and
  // virtual-env directories and caches.
  std::vector<std::string> excludes = {".git", ".hg", ".svn", "__pycache__", ".tox", ".venv",
                                       "venv", "node_modules", ".mypy_cache", ".pytest_cache",
                                       "site-packages"};
  // Files larger than this are skipped (reported by the caller as too large).
  uint64_t max_file_bytes = 8u << 20;
};

// Walks the roots (files or directories; symlinks are followed, bounded and
// loop-safe: see directory_walk.h). The
// import root of a directory is the directory itself, or its nearest ancestor
// without __init__.py when the directory is a package, or `src/` beside it
// (src-layout). Directories without __init__.py below an import root are
// namespace packages. Sorted by path. Errors are per root and non-fatal: they
// are returned in `problems`.
std::vector<DiscoveredFile> DiscoverPythonFiles(const std::vector<std::string>& roots,
                                                const DiscoveryOptions& options,
                                                std::vector<Error>* problems);

// The dotted module name of `file_path` relative to `import_root`
// ("a/b/c.py" -> "a.b.c", "a/b/__init__.py" -> "a.b").
std::string ModuleNameFromPath(const std::string& file_path, const std::string& import_root);

// Resolves a relative import (`from ..x import y`) of `module` (a package
// when `is_package`) to an absolute dotted name; empty if it escapes the top.
std::string ResolveRelativeModule(const std::string& module, bool is_package, int dots,
                                  const std::string& relative_name);

// The Python string value of a simple string literal node (no f-string
// interpolation; prefixes r/b/u accepted; escapes beyond \\ \' \" \n \t kept
// verbatim). nullopt-like: returns false when the node is not a plain string.
bool StringLiteralValue(const ParsedPython& file, TSNode node, std::string* out);

}  // namespace ptlint

#endif  // PTLINT_ANALYZER_PYTHON_PYTHON_SOURCE_H_
