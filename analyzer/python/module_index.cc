#include "analyzer/python/module_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "analyzer/python/python_prescan.h"
#include "analyzer/python/torch_nn_names.h"
#include "analyzer/support/byte_source.h"
#include "analyzer/support/worker_pool.h"

namespace ptlint {

namespace {

constexpr int kMaxResolveDepth = 24;

// A dotted name as written, without the blanks and backslash line
// continuations a parenthesised or continued expression may hold.
std::string WithoutBlanks(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\\') out += c;
  }
  return out;
}

std::string DottedText(const ParsedPython& file, TSNode node) { return WithoutBlanks(file.Text(node)); }

void ReadStringList(const ParsedPython& file, TSNode value, std::vector<std::string>* out) {
  if (!IsType(value, "list") && !IsType(value, "tuple")) return;
  uint32_t n = ts_node_named_child_count(value);
  for (uint32_t i = 0; i < n; ++i) {
    std::string s;
    if (StringLiteralValue(file, ts_node_named_child(value, i), &s)) out->push_back(s);
  }
}

void ExtractImport(const ParsedPython& parsed, IndexedFile* file, TSNode node) {
  SourcePosition pos = PositionOf(node);
  uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(node, i);
    ImportBinding b;
    b.position = pos;
    b.is_module_import = true;
    if (IsType(child, "dotted_name")) {
      // `import a.b.c` binds `a` to module a (and makes a.b.c importable).
      std::string dotted = DottedText(parsed, child);
      b.local_name = dotted.substr(0, dotted.find('.'));
      b.target = b.local_name;
      file->imports.push_back(b);
      if (dotted != b.local_name) {
        ImportBinding full = b;
        full.local_name = dotted;  // lets `a.b.c.X` resolve directly
        full.target = dotted;
        file->imports.push_back(full);
      }
    } else if (IsType(child, "aliased_import")) {
      b.target = DottedText(parsed, Field(child, "name"));
      b.local_name = std::string(parsed.Text(Field(child, "alias")));
      file->imports.push_back(b);
    }
  }
}

void ExtractFromImport(const ParsedPython& parsed, IndexedFile* file, TSNode node) {
  SourcePosition pos = PositionOf(node);
  TSNode module_node = Field(node, "module_name");
  std::string base;
  if (IsType(module_node, "relative_import")) {
    int dots = 0;
    std::string rel;
    uint32_t n = ts_node_named_child_count(module_node);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(module_node, i);
      if (IsType(c, "import_prefix")) {
        for (char ch : parsed.Text(c)) dots += ch == '.';
      } else if (IsType(c, "dotted_name")) {
        rel = DottedText(parsed, c);
      }
    }
    base = ResolveRelativeModule(file->info.module_name, file->info.is_package, dots, rel);
  } else {
    base = DottedText(parsed, module_node);
  }
  uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(node, i);
    if (ts_node_eq(child, module_node)) continue;
    if (IsType(child, "wildcard_import")) {
      file->star_imports.push_back(base);
      continue;
    }
    ImportBinding b;
    b.position = pos;
    if (IsType(child, "dotted_name")) {
      std::string name = DottedText(parsed, child);
      b.local_name = name;
      b.target = base.empty() ? name : base + "." + name;
    } else if (IsType(child, "aliased_import")) {
      std::string name = DottedText(parsed, Field(child, "name"));
      b.local_name = std::string(parsed.Text(Field(child, "alias")));
      b.target = base.empty() ? name : base + "." + name;
    } else {
      continue;
    }
    file->imports.push_back(b);
  }
}

void ExtractClass(const ParsedPython& parsed, IndexedFile* file, TSNode node, bool nested) {
  ClassInfo cls;
  cls.name = std::string(parsed.Text(Field(node, "name")));
  cls.module = file->info.module_name;
  // Nested classes get a dotted path through their enclosing definitions
  // (like __qualname__); they are not importable, but are still modules.
  std::string qual = cls.name;
  for (TSNode p = ts_node_parent(node); !ts_node_is_null(p); p = ts_node_parent(p)) {
    if (IsType(p, "class_definition") || IsType(p, "function_definition")) {
      qual = std::string(parsed.Text(Field(p, "name"))) + "." + qual;
    }
  }
  cls.qualified_name = cls.module.empty() ? qual : cls.module + "." + qual;
  cls.path = file->info.path;
  cls.position = PositionOf(node);
  cls.nested = nested;
  cls.node = node;
  TSNode bases = Field(node, "superclasses");
  if (!ts_node_is_null(bases)) {
    uint32_t n = ts_node_named_child_count(bases);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode b = ts_node_named_child(bases, i);
      if (IsType(b, "keyword_argument")) continue;  // metaclass=...
      if (IsType(b, "comment")) continue;
      std::string text = DottedText(parsed, b);
      // Generic[T] / Module[...] style subscripts: the base is the value.
      if (IsType(b, "subscript")) text = DottedText(parsed, Field(b, "value"));
      cls.base_texts.push_back(text);
    }
  }
  TSNode body = Field(node, "body");
  uint32_t n = ts_node_named_child_count(body);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode stmt = ts_node_named_child(body, i);
    if (IsType(stmt, "decorated_definition")) stmt = Field(stmt, "definition");
    if (IsType(stmt, "function_definition")) {
      std::string name(parsed.Text(Field(stmt, "name")));
      cls.methods.push_back(name);
      if (name == "_load_from_state_dict") cls.overrides_load_from_state_dict = true;
      if (name == "get_extra_state") cls.overrides_get_extra_state = true;
      if (name == "state_dict" || name == "_save_to_state_dict") cls.overrides_state_dict = true;
    } else if (IsType(stmt, "expression_statement")) {
      TSNode a = ts_node_named_child(stmt, 0);
      if (IsType(a, "assignment")) {
        TSNode left = Field(a, "left");
        TSNode right = Field(a, "right");
        if (parsed.Text(left) == "_version" && IsType(right, "integer")) {
          std::string digits(parsed.Text(right));
          digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
          char* end = nullptr;
          long long v = std::strtoll(digits.c_str(), &end, 0);
          if (end != nullptr && *end == '\0') cls.version = v;
        }
      }
    }
  }
  // Pre-hooks are registered by a call anywhere in the class (usually __init__).
  std::string_view text = parsed.Text(node);
  if (text.find("_register_load_state_dict_pre_hook") != std::string_view::npos ||
      text.find("register_load_state_dict_pre_hook") != std::string_view::npos) {
    cls.registers_load_pre_hook = true;
  }
  file->classes.push_back(std::move(cls));
}

}  // namespace

bool IsLightningModuleBase(const std::string& qualified) {
  static const char* const kNames[] = {
      "lightning.LightningModule",
      "lightning.pytorch.LightningModule",
      "lightning.pytorch.core.LightningModule",
      "lightning.pytorch.core.module.LightningModule",
      "pytorch_lightning.LightningModule",
      "pytorch_lightning.core.LightningModule",
      "pytorch_lightning.core.module.LightningModule",
      "pytorch_lightning.core.lightning.LightningModule",  // before 1.7
  };
  if (!qualified.ends_with("LightningModule")) return false;  // as every name above: the usual answer, cheaply
  for (const char* name : kNames) {
    if (qualified == name) return true;
  }
  return false;
}

std::string BuiltinModuleName(const std::string& qualified) {
  static const std::string kPrefix = "torch.nn.";
  // No LightningModule name starts with torch.nn.: those are checked only
  // for the other names (the predictor asks for every external call).
  if (qualified.rfind(kPrefix, 0) != 0) return IsLightningModuleBase(qualified) ? "Module" : std::string();
  const auto dot = qualified.rfind('.');
  if (dot + 1 < kPrefix.size()) return {};
  const std::string name = qualified.substr(dot + 1);
  // "torch.nn.X" has its last dot at kPrefix.size() - 1: no middle part.
  const std::string middle = dot + 1 > kPrefix.size() ? qualified.substr(kPrefix.size(), dot - kPrefix.size()) : "";
  // torch.nn.X, torch.nn.modules.X, torch.nn.modules.<file>.X
  const bool in_modules = middle.rfind("modules.", 0) == 0 && middle.find('.', 8) == std::string::npos;
  if (!(middle.empty() || middle == "modules" || in_modules)) return {};
  if (name == "Module") return name;
  if (IsTorchNnLayer(name)) return name;
  return {};
}

namespace {

// Placeholder nodes for the rare materialised file whose tree disagrees with
// the pre-scan: the pre-scan's classes, functions and assignments are kept
// (pointers into them may be held), and those with no counterpart in the tree
// point here, so that a node is never null. Parsed once, never freed.
struct Placeholders {
  TSNode cls{};
  TSNode function{};
  TSNode value{};
};

const Placeholders& PlaceholderNodes() {
  static const Placeholders nodes = [] {
    Placeholders p;
    static const char kSource[] = "class _:\n    pass\ndef _():\n    pass\n_ = None\n";
    auto tree = ParsePythonTree(kSource);
    if (!tree.ok()) return p;
    TSTree* t = tree.value().release();  // immortal
    TSNode root = ts_tree_root_node(t);
    p.cls = ts_node_named_child(root, 0);
    p.function = ts_node_named_child(root, 1);
    TSNode assign = ts_node_named_child(ts_node_named_child(root, 2), 0);
    p.value = Field(assign, "right");
    return p;
  }();
  return nodes;
}

bool SameFacts(const ClassInfo& a, const ClassInfo& b) {
  return a.name == b.name && a.qualified_name == b.qualified_name && a.position.line == b.position.line &&
         a.position.column == b.position.column && a.nested == b.nested && a.base_texts == b.base_texts &&
         a.methods == b.methods && a.version == b.version &&
         a.overrides_load_from_state_dict == b.overrides_load_from_state_dict &&
         a.overrides_get_extra_state == b.overrides_get_extra_state &&
         a.registers_load_pre_hook == b.registers_load_pre_hook && a.overrides_state_dict == b.overrides_state_dict;
}

bool SameFacts(const FunctionInfo& a, const FunctionInfo& b) {
  return a.name == b.name && a.qualified_name == b.qualified_name && a.position.line == b.position.line &&
         a.position.column == b.position.column;
}

bool SameFacts(const ImportBinding& a, const ImportBinding& b) {
  return a.local_name == b.local_name && a.target == b.target && a.is_module_import == b.is_module_import &&
         a.position.line == b.position.line && a.position.column == b.position.column;
}

template <class T>
bool SameList(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameFacts(a[i], b[i])) return false;
  }
  return true;
}

// Builds a pre-scanned file's tree (LazyTree's loader) and fills in its nodes.
void LoadDeferredTree(void* owner) {
  IndexedFile* file = static_cast<IndexedFile*>(owner);
  auto tree = ParsePythonTree(file->parsed.source);
  IndexedFile fresh;
  if (tree.ok()) {
    file->parsed.tree.reset(tree.value().release());
    fresh.info = file->info;
    ExtractFromTree(file->parsed, &fresh);
    file->has_syntax_errors = fresh.has_syntax_errors;
  } else {
    file->has_syntax_errors = true;  // tree-sitter gave up (timeout): nothing to match
  }
  bool same = tree.ok() && SameList(file->classes, fresh.classes) && SameList(file->functions, fresh.functions) &&
              SameList(file->imports, fresh.imports) && file->star_imports == fresh.star_imports &&
              file->has_all == fresh.has_all && file->all == fresh.all &&
              file->has_main_guard == fresh.has_main_guard &&
              file->assignments.size() == fresh.assignments.size();
  if (same) {
    for (auto a = file->assignments.begin(), b = fresh.assignments.begin(); a != file->assignments.end();
         ++a, ++b) {
      if (a->first != b->first) {
        same = false;
        break;
      }
    }
  }
  if (same) {
    for (size_t i = 0; i < file->classes.size(); ++i) file->classes[i].node = fresh.classes[i].node;
    for (size_t i = 0; i < file->functions.size(); ++i) file->functions[i].node = fresh.functions[i].node;
    for (auto a = file->assignments.begin(), b = fresh.assignments.begin(); a != file->assignments.end(); ++a, ++b) {
      a->second = b->second;
    }
  } else {
    // The pre-scan misread the file (a syntax error it could not see): keep
    // its facts, match nodes by name and place, and use placeholders for the
    // rest rather than leave a null node.
    file->prescan_mismatch = true;
    const Placeholders& ph = PlaceholderNodes();
    for (ClassInfo& c : file->classes) {
      c.node = ph.cls;
      for (const ClassInfo& f : fresh.classes) {
        if (f.qualified_name == c.qualified_name && f.position.line == c.position.line &&
            f.position.column == c.position.column) {
          c.node = f.node;
          break;
        }
      }
    }
    for (FunctionInfo& fn : file->functions) {
      fn.node = ph.function;
      for (const FunctionInfo& f : fresh.functions) {
        if (f.name == fn.name && f.position.line == fn.position.line && f.position.column == fn.position.column) {
          fn.node = f.node;
          break;
        }
      }
    }
    for (auto& [name, node] : file->assignments) {
      auto it = fresh.assignments.find(name);
      node = it != fresh.assignments.end() ? it->second : ph.value;
    }
  }
  // assignment_shapes stay: another thread may be reading them (ResolveIn
  // reads them while materialized() is still false), and they are small.
}

}  // namespace

ModuleIndex ModuleIndex::Build(const std::vector<std::string>& roots, const DiscoveryOptions& options,
                               std::vector<Error>* problems) {
  ModuleIndex index;
  std::vector<DiscoveredFile> files = DiscoverPythonFiles(roots, options, problems);
  // A script folder's own names (DiscoveredFile::script_module_name) count
  // only where they name one file: two folders each with a models.py leave
  // `models` to neither, rather than to the wrong one.
  {
    std::unordered_map<std::string, int> claims;
    for (const DiscoveredFile& f : files) {
      ++claims[f.module_name];
      if (!f.script_module_name.empty()) ++claims[f.script_module_name];
    }
    for (DiscoveredFile& f : files) {
      if (!f.script_module_name.empty() && claims[f.script_module_name] > 1) f.script_module_name.clear();
    }
  }
  index.files_.reserve(files.size());
  index.by_path_.reserve(files.size());
  index.by_module_.reserve(files.size());
  for (auto& f : files) {
    // Non-blocking and fstat-checked (byte_source.h): a FIFO named x.py
    // never stalls the index.
    Result<std::string> source = ReadRegularFile(f.path, options.max_file_bytes);
    if (!source.ok()) {
      if (problems) problems->push_back(MakeError("python.unreadable", source.error().message, source.error().hint));
      continue;
    }
    try {
      auto added = index.AddFile(f, std::move(source.value()));
      if (!added.ok() && problems) problems->push_back(added.error());
    } catch (const std::exception& e) {  // that file alone is lost
      if (problems) problems->push_back(MakeError("python.internal", f.path + ": indexing failed (" + e.what() + ")"));
    }
  }
  index.AddReexportNames();
  return index;
}

Result<bool> ModuleIndex::AddFile(const DiscoveredFile& info, std::string source) {
  auto file = std::make_unique<IndexedFile>();
  file->info = info;
  if (PrescanPython(source, file.get())) {
    // The tree is built when first asked for (see IndexedFile).
    file->parsed.source = std::move(source);
    file->parsed.tree.SetLoader(&LoadDeferredTree, file.get());
    file->prescanned = true;
  } else {
    auto parsed = ParsePython(std::move(source));
    if (!parsed.ok()) {
      Error e = parsed.error();
      e.message = info.path + ": " + e.message;
      return e;
    }
    file->parsed = std::move(parsed.value());
    ExtractFromTree(file->parsed, file.get());
    parsed_bytes_ += file->parsed.source.size();
  }
  total_bytes_ += file->parsed.source.size();
  auto existing = by_path_.find(info.path);
  if (existing != by_path_.end()) {
    size_t slot = existing->second;
    total_bytes_ -= files_[slot]->parsed.source.size();
    Unregister(slot);
    files_[slot] = std::move(file);
    Register(slot);
  } else {
    files_.push_back(std::move(file));
    Register(files_.size() - 1);
  }
  classify_memo_.clear();
  return true;
}

// The matches of the index query (grammars/python/queries/index.scm) on a
// tree without syntax errors, found by walking statements only: in the order
// the query cursor returns them (document order, an enclosing statement
// before what it holds), with the same captures. Expressions, most of a
// file's nodes, cannot hold a statement and are not visited; the query
// cursor visits every node, which made it most of the cost of reading a
// parsed file's facts.
template <class Emit>
void IndexMatches(TSNode root, Emit&& emit) {
  using Captures = std::map<std::string_view, TSNode>;
  std::vector<TSNode> stack{root};
  while (!stack.empty()) {
    TSNode node = stack.back();
    stack.pop_back();
    const char* t = ts_node_type(node);
    Captures caps;
    if (std::strcmp(t, "class_definition") == 0 || std::strcmp(t, "function_definition") == 0) {
      const bool cls = t[0] == 'c';
      TSNode name = Field(node, "name");
      if (IsType(name, "identifier")) {
        caps[cls ? "class.name" : "function.name"] = name;
        caps[cls ? "class" : "function"] = node;
        emit(cls ? "class" : "function", node, caps);
      }
    } else if (std::strcmp(t, "import_statement") == 0 || std::strcmp(t, "import_from_statement") == 0) {
      const bool from = t[7] == 'f';
      caps[from ? "import.from" : "import"] = node;
      emit(from ? "import.from" : "import", node, caps);
      continue;
    } else if (std::strcmp(t, "expression_statement") == 0) {
      uint32_t n = ts_node_named_child_count(node);
      for (uint32_t i = 0; i < n; ++i) {
        TSNode a = ts_node_named_child(node, i);
        // `a = b = [...]` nests assignments in `right`: each one matches.
        while (IsType(a, "assignment") || IsType(a, "augmented_assignment")) {
          const bool extend = IsType(a, "augmented_assignment");
          TSNode left = Field(a, "left");
          TSNode right = Field(a, "right");
          if (IsType(left, "identifier") && !ts_node_is_null(right)) {
            Captures c;
            c["all.name"] = left;
            c["all.value"] = right;
            c[extend ? "all.extend" : "all"] = a;
            emit(extend ? "all.extend" : "all", a, c);
          }
          a = right;
        }
      }
      continue;
    } else if (std::strcmp(t, "if_statement") == 0) {
      // (comparison_operator (identifier) @main.lhs (string) @main.rhs):
      // each identifier child with each string child after it.
      TSNode cond = Field(node, "condition");
      if (IsType(cond, "comparison_operator")) {
        uint32_t n = ts_node_named_child_count(cond);
        for (uint32_t i = 0; i < n; ++i) {
          TSNode lhs = ts_node_named_child(cond, i);
          if (!IsType(lhs, "identifier")) continue;
          for (uint32_t j = i + 1; j < n; ++j) {
            TSNode rhs = ts_node_named_child(cond, j);
            if (!IsType(rhs, "string")) continue;
            Captures c;
            c["main.lhs"] = lhs;
            c["main.rhs"] = rhs;
            c["main"] = node;
            emit("main", node, c);
          }
        }
      }
    }
    if (!HoldsStatements(t)) continue;
    // Children in document order: pushed last to first.
    std::vector<TSNode> children = NamedChildren(node);
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
  }
}

void ExtractFromTree(const ParsedPython& parsed, IndexedFile* file, bool by_query) {
  file->imports.clear();
  file->star_imports.clear();
  file->all.clear();
  file->has_all = false;
  file->has_main_guard = false;
  file->assignments.clear();
  file->assignment_shapes.clear();
  file->classes.clear();
  file->functions.clear();
  TSNode root = parsed.Root();
  if (ts_node_is_null(root)) return;
  file->has_syntax_errors = ts_node_has_error(root);

  const TSQuery* query = IndexQuery();
  if (query == nullptr) return;
  bool all_computed = false;  // an __all__ that is not a literal list: unknown
  // Byte ranges of the bodies of module-level (and module-level-if/try)
  // definitions: a capture inside one is nested. Walking parents per capture
  // would cost O(depth) from the root each time (ts_node_parent re-descends).
  std::vector<std::pair<uint32_t, uint32_t>> bodies;
  {
    std::vector<TSNode> stack = {root};
    while (!stack.empty()) {
      TSNode block = stack.back();
      stack.pop_back();
      uint32_t n = ts_node_named_child_count(block);
      for (uint32_t i = 0; i < n; ++i) {
        TSNode stmt = ts_node_named_child(block, i);
        TSNode def = IsType(stmt, "decorated_definition") ? Field(stmt, "definition") : stmt;
        if (IsType(def, "class_definition") || IsType(def, "function_definition")) {
          TSNode body = Field(def, "body");
          if (!ts_node_is_null(body)) bodies.push_back({ts_node_start_byte(body), ts_node_end_byte(body)});
        } else if (IsType(stmt, "if_statement") || IsType(stmt, "try_statement") || IsType(stmt, "block") ||
                   IsType(stmt, "else_clause") || IsType(stmt, "elif_clause") || IsType(stmt, "except_clause") ||
                   IsType(stmt, "finally_clause") || IsType(stmt, "with_statement")) {
          stack.push_back(stmt);
        }
      }
    }
    std::sort(bodies.begin(), bodies.end());
  }
  auto is_nested = [&bodies](TSNode node) {
    uint32_t at = ts_node_start_byte(node);
    auto it = std::upper_bound(bodies.begin(), bodies.end(), std::make_pair(at, UINT32_MAX));
    if (it == bodies.begin()) return false;
    --it;
    return at >= it->first && at < it->second;
  };
  std::vector<TSNode> nested_classes;
  // One match of the index query: the statement-level capture and its parts.
  using Captures = std::map<std::string_view, TSNode>;
  auto handle = [&](std::string_view outer_name, TSNode outer, Captures& caps) {
    if (ts_node_is_null(outer)) return;
    if (outer_name == "class") {
      if (is_nested(outer)) nested_classes.push_back(outer);
      else ExtractClass(parsed, file, outer, false);
      return;
    }
    if (is_nested(outer)) return;
    if (outer_name == "function") {
      FunctionInfo fn;
      fn.name = std::string(parsed.Text(caps["function.name"]));
      fn.module = file->info.module_name;
      fn.qualified_name = fn.module.empty() ? fn.name : fn.module + "." + fn.name;
      fn.path = file->info.path;
      fn.position = PositionOf(outer);
      fn.node = outer;
      file->functions.push_back(std::move(fn));
    } else if (outer_name == "import") {
      ExtractImport(parsed, file, outer);
    } else if (outer_name == "import.from") {
      ExtractFromImport(parsed, file, outer);
    } else if (outer_name == "all" || outer_name == "all.extend") {
      // #eq? @all.name "__all__" is applied here: the C library does not.
      if (parsed.Text(caps["all.name"]) != "__all__") return;
      if (all_computed) return;
      TSNode value = caps["all.value"];
      if (!IsType(value, "list") && !IsType(value, "tuple")) {
        // `__all__ = mv2_all + mv3_all` (torchvision.models.mobilenet): not
        // read, so a star import takes the public names, as if there were
        // none, rather than no name at all.
        all_computed = true;
        file->has_all = false;
        file->all.clear();
        return;
      }
      if (outer_name == "all") file->all.clear();
      file->has_all = true;
      ReadStringList(parsed, value, &file->all);
    } else if (outer_name == "main") {
      if (parsed.Text(caps["main.lhs"]) != "__name__") return;
      std::string value;
      if (StringLiteralValue(parsed, caps["main.rhs"], &value) && value == "__main__") {
        file->has_main_guard = true;
      }
    }
  };
  if (!file->has_syntax_errors && !by_query) {
    IndexMatches(root, [&](std::string_view outer_name, TSNode outer, Captures& caps) {
      handle(outer_name, outer, caps);
    });
  } else {
    // Error recovery can put a definition anywhere (inside an ERROR node):
    // the query finds it wherever it is.
    TSQueryCursor* cursor = ts_query_cursor_new();
    ts_query_cursor_exec(cursor, query, root);
    TSQueryMatch match;
    while (ts_query_cursor_next_match(cursor, &match)) {
      std::string_view outer_name;
      TSNode outer{};
      Captures caps;
      for (uint16_t i = 0; i < match.capture_count; ++i) {
        uint32_t len = 0;
        const char* name = ts_query_capture_name_for_id(query, match.captures[i].index, &len);
        std::string_view cap(name, len);
        caps[cap] = match.captures[i].node;
        // The statement-level captures (the others name their parts).
        if (cap == "class" || cap == "function" || cap == "import" || cap == "import.from" || cap == "all" ||
            cap == "all.extend" || cap == "main") {
          outer_name = cap;
          outer = match.captures[i].node;
        }
      }
      handle(outer_name, outer, caps);
    }
    ts_query_cursor_delete(cursor);
  }
  for (TSNode n : nested_classes) ExtractClass(parsed, file, n, true);

  // Module-level plain assignments: constants (`HIDDEN = 256`) and aliases
  // (`Block = ResBlock`). Only direct children of the module and of
  // module-level if/try blocks.
  std::vector<TSNode> stack = {root};
  while (!stack.empty()) {
    TSNode block = stack.back();
    stack.pop_back();
    uint32_t n = ts_node_named_child_count(block);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode stmt = ts_node_named_child(block, i);
      const char* t = ts_node_type(stmt);
      if (std::strcmp(t, "expression_statement") == 0) {
        TSNode a = ts_node_named_child(stmt, 0);
        if (IsType(a, "assignment") && IsType(Field(a, "left"), "identifier") &&
            !ts_node_is_null(Field(a, "right"))) {
          file->assignments[std::string(parsed.Text(Field(a, "left")))] = Field(a, "right");
        }
      } else if (std::strcmp(t, "if_statement") == 0 || std::strcmp(t, "try_statement") == 0 ||
                 std::strcmp(t, "block") == 0 || std::strcmp(t, "else_clause") == 0 ||
                 std::strcmp(t, "elif_clause") == 0 || std::strcmp(t, "except_clause") == 0 ||
                 std::strcmp(t, "finally_clause") == 0) {
        stack.push_back(stmt);
      }
    }
  }
}

void ModuleIndex::Register(size_t slot) {
  IndexedFile& f = *files_[slot];
  by_path_[f.info.path] = slot;
  // A module name already taken (two roots with the same package) keeps the
  // first file; the second is still reachable by path.
  by_module_.emplace(f.info.module_name, slot);
  for (size_t i = 0; i < f.classes.size(); ++i) {
    ClassInfo& c = f.classes[i];
    classes_.emplace(c.qualified_name, std::make_pair(slot, i));
    if (f.has_main_guard && !c.nested) {
      std::string main_name = "__main__." + c.name;
      c.other_names.push_back(main_name);
      classes_.emplace(main_name, std::make_pair(slot, i));
    }
  }
  for (size_t i = 0; i < f.functions.size(); ++i) {
    functions_.emplace(f.functions[i].qualified_name, std::make_pair(slot, i));
    if (f.has_main_guard) functions_.emplace("__main__." + f.functions[i].name, std::make_pair(slot, i));
  }
  // The name a script run from the file's own folder imports it by.
  const std::string& own = f.info.script_module_name;
  const std::string& module = f.info.module_name;
  if (!own.empty() && own != module) {
    by_module_.emplace(own, slot);
    auto renamed = [&](const std::string& qualified) {
      return module.empty() ? own + "." + qualified : own + qualified.substr(module.size());
    };
    for (size_t i = 0; i < f.classes.size(); ++i) {
      ClassInfo& c = f.classes[i];
      if (!module.empty() && c.qualified_name.compare(0, module.size() + 1, module + ".") != 0) continue;
      std::string name = renamed(c.qualified_name);
      if (classes_.emplace(name, std::make_pair(slot, i)).second) c.other_names.push_back(name);
    }
    for (size_t i = 0; i < f.functions.size(); ++i) {
      const std::string& q = f.functions[i].qualified_name;
      if (!module.empty() && q.compare(0, module.size() + 1, module + ".") != 0) continue;
      functions_.emplace(renamed(q), std::make_pair(slot, i));
    }
  }
}

void ModuleIndex::Unregister(size_t slot) {
  auto drop = [slot](auto& map) {
    for (auto it = map.begin(); it != map.end();) {
      if (it->second.first == slot) it = map.erase(it);
      else ++it;
    }
  };
  drop(classes_);
  drop(functions_);
  for (auto it = by_module_.begin(); it != by_module_.end();) {
    if (it->second == slot) it = by_module_.erase(it);
    else ++it;
  }
}

void ModuleIndex::AddReexportNames() {
  // `from .x import Encoder` in pkg/__init__.py makes `pkg.Encoder` an
  // importable name of pkg.x.Encoder; so does `from .x import *` for the
  // names in x's __all__ (or its public names).
  for (size_t slot = 0; slot < files_.size(); ++slot) {
    IndexedFile& f = *files_[slot];
    for (const auto& imp : f.imports) {
      if (imp.is_module_import) continue;
      Symbol s = ResolveAbsoluteImpl(imp.target, 0);
      if (s.kind != Symbol::Kind::kClass || s.cls == nullptr) continue;
      std::string name = f.info.module_name.empty() ? imp.local_name : f.info.module_name + "." + imp.local_name;
      if (name == s.cls->qualified_name) continue;
      auto key = classes_.find(s.cls->qualified_name);
      if (key == classes_.end()) continue;
      if (classes_.emplace(name, key->second).second) {
        files_[key->second.first]->classes[key->second.second].other_names.push_back(name);
      }
    }
  }
}

const IndexedFile* ModuleIndex::FindFileRaw(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : files_[it->second].get();
}

const IndexedFile* ModuleIndex::FindModuleRaw(const std::string& module_name) const {
  auto it = by_module_.find(module_name);
  return it == by_module_.end() ? nullptr : files_[it->second].get();
}

void ModuleIndex::Materialize(const IndexedFile& file) const { file.parsed.tree.get(); }

void ModuleIndex::MaterializeAll() const {
  for (const auto& f : files_) f->parsed.tree.get();
}

void ModuleIndex::MaterializeConcurrently(const std::vector<const IndexedFile*>& files, unsigned threads) const {
  std::vector<const IndexedFile*> pending;
  for (const IndexedFile* f : files) {
    if (f != nullptr && !f->parsed.tree.loaded()) pending.push_back(f);
  }
  threads = std::min<unsigned>(threads, static_cast<unsigned>(pending.size() / 2));
  if (threads < 2) {
    for (const IndexedFile* f : pending) f->parsed.tree.get();
    return;
  }
  // Largest first, so no thread is left with one big file at the end.
  std::sort(pending.begin(), pending.end(), [](const IndexedFile* a, const IndexedFile* b) {
    return a->parsed.source.size() > b->parsed.source.size();
  });
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < pending.size(); i = next++) pending[i]->parsed.tree.get();
  };
  RunOnWorkers(threads, [&](size_t) { work(); });
}

ModuleIndex::Stats ModuleIndex::stats() const {
  Stats st;
  st.files = files_.size();
  st.parsed_bytes = parsed_bytes_;
  for (const auto& f : files_) {
    st.prescanned += f->prescanned;
    st.materialized += f->materialized();
    st.mismatches += f->prescan_mismatch;
  }
  return st;
}

Symbol ModuleIndex::Publish(Symbol s) const {
  if (s.file != nullptr) Materialize(*s.file);
  if (s.cls != nullptr) {
    if (const IndexedFile* f = FindFileRaw(s.cls->path)) Materialize(*f);
  }
  if (s.function != nullptr) {
    if (const IndexedFile* f = FindFileRaw(s.function->path)) Materialize(*f);
  }
  if (s.kind == Symbol::Kind::kAssignment && s.file != nullptr && ts_node_is_null(s.assignment)) {
    const std::string& module = s.file->info.module_name;
    std::string head = module.empty() ? s.qualified_name : s.qualified_name.substr(module.size() + 1);
    auto it = s.file->assignments.find(head);
    if (it != s.file->assignments.end()) s.assignment = it->second;
  }
  return s;
}

const IndexedFile* ModuleIndex::FindFile(const std::string& path) const {
  const IndexedFile* f = FindFileRaw(path);
  if (f != nullptr) Materialize(*f);
  return f;
}

const IndexedFile* ModuleIndex::FindModule(const std::string& module_name) const {
  const IndexedFile* f = FindModuleRaw(module_name);
  if (f != nullptr) Materialize(*f);
  return f;
}

const ClassInfo* ModuleIndex::FindClass(const std::string& dotted) const {
  auto it = classes_.find(dotted);
  if (it != classes_.end()) {
    const IndexedFile& f = *files_[it->second.first];
    Materialize(f);
    return &f.classes[it->second.second];
  }
  Symbol s = ResolveAbsolute(dotted);
  return s.kind == Symbol::Kind::kClass ? s.cls : nullptr;
}

const FunctionInfo* ModuleIndex::FindFunction(const std::string& dotted) const {
  auto it = functions_.find(dotted);
  if (it != functions_.end()) {
    const IndexedFile& f = *files_[it->second.first];
    Materialize(f);
    return &f.functions[it->second.second];
  }
  Symbol s = ResolveAbsolute(dotted);
  return s.kind == Symbol::Kind::kFunction ? s.function : nullptr;
}

Symbol ModuleIndex::Resolve(const std::string& module_name, const std::string& dotted) const {
  const IndexedFile* file = FindModuleRaw(module_name);
  if (file == nullptr) return Publish(ResolveAbsoluteImpl(dotted, 0));
  return Publish(ResolveIn(*file, dotted, 0));
}

Symbol ModuleIndex::ResolveName(const std::string& module_name, const std::string& dotted) const {
  const IndexedFile* file = FindModuleRaw(module_name);
  Symbol s = file == nullptr ? ResolveAbsoluteImpl(dotted, 0) : ResolveIn(*file, dotted, 0);
  s.assignment = TSNode{};  // may point into no tree yet
  return s;
}

Symbol ModuleIndex::ResolveAbsolute(const std::string& dotted) const {
  return Publish(ResolveAbsoluteImpl(dotted, 0));
}

Symbol ModuleIndex::ResolveIn(const IndexedFile& file, const std::string& dotted, int depth) const {
  Symbol none;
  if (depth > kMaxResolveDepth || dotted.empty()) return none;
  const std::string head = dotted.substr(0, dotted.find('.'));
  const std::string rest = dotted.size() > head.size() ? dotted.substr(head.size() + 1) : std::string();
  auto join = [](const std::string& a, const std::string& b) { return b.empty() ? a : a + "." + b; };

  // Local definitions shadow imports; the later statement would win in Python,
  // but a class and an import of the same name is rare enough to ignore.
  for (const auto& c : file.classes) {
    if (!c.nested && c.name == head) {
      if (rest.empty()) {
        Symbol s;
        s.kind = Symbol::Kind::kClass;
        s.qualified_name = c.qualified_name;
        s.cls = &c;
        s.file = &file;
        return s;
      }
      Symbol s;  // attribute of a class (nested class, classmethod): not followed
      s.kind = Symbol::Kind::kUnresolved;
      s.qualified_name = join(c.qualified_name, rest);
      return s;
    }
  }
  for (const auto& fn : file.functions) {
    if (fn.name == head && rest.empty()) {
      Symbol s;
      s.kind = Symbol::Kind::kFunction;
      s.qualified_name = fn.qualified_name;
      s.function = &fn;
      s.file = &file;
      return s;
    }
  }
  // `import a.b.c` registers the full dotted name too: prefer the longest.
  const ImportBinding* best = nullptr;
  for (const auto& imp : file.imports) {
    if (imp.local_name == head ||
        (dotted.size() > imp.local_name.size() && dotted.compare(0, imp.local_name.size(), imp.local_name) == 0 &&
         dotted[imp.local_name.size()] == '.') ||
        dotted == imp.local_name) {
      if (best == nullptr || imp.local_name.size() > best->local_name.size()) best = &imp;
    }
  }
  if (best != nullptr) {
    std::string remaining = dotted.size() > best->local_name.size() ? dotted.substr(best->local_name.size() + 1) : "";
    return ResolveAbsoluteImpl(join(best->target, remaining), depth + 1);
  }
  auto assign = file.assignments.find(head);
  if (assign != file.assignments.end() && !file.materialized()) {
    // A deferred tree: the pre-scan's shape of the right-hand side decides,
    // or the tree when the shape is not certain.
    auto shape = file.assignment_shapes.find(head);
    const AssignmentShape::Kind kind =
        shape == file.assignment_shapes.end() ? AssignmentShape::Kind::kOther : shape->second.kind;
    if (kind == AssignmentShape::Kind::kUnsure) {
      Materialize(file);
    } else {
      if (kind == AssignmentShape::Kind::kName && shape->second.text != head) {
        return ResolveIn(file, join(WithoutBlanks(shape->second.text), rest), depth + 1);
      }
      if (rest.empty()) {
        Symbol s;
        s.kind = Symbol::Kind::kAssignment;
        s.qualified_name = join(file.info.module_name, head);
        s.file = &file;  // Publish fills s.assignment once the tree exists
        return s;
      }
      assign = file.assignments.end();
    }
  }
  if (assign != file.assignments.end()) {
    TSNode rhs = assign->second;
    // An alias of another name: follow it.
    if ((IsType(rhs, "identifier") || IsType(rhs, "attribute")) && file.parsed.Text(rhs) != head) {
      return ResolveIn(file, join(WithoutBlanks(file.parsed.Text(rhs)), rest), depth + 1);
    }
    if (rest.empty()) {
      Symbol s;
      s.kind = Symbol::Kind::kAssignment;
      s.qualified_name = join(file.info.module_name, head);
      s.file = &file;
      s.assignment = rhs;
      return s;
    }
  }
  for (const auto& star : file.star_imports) {
    const IndexedFile* source = FindModuleRaw(star);
    if (source == nullptr) {
      continue;
    }
    if (source->has_all &&
        std::find(source->all.begin(), source->all.end(), head) == source->all.end()) {
      continue;
    }
    if (!source->has_all && !head.empty() && head[0] == '_') continue;
    Symbol s = ResolveIn(*source, dotted, depth + 1);
    if (s.kind != Symbol::Kind::kUnresolved) return s;
  }
  // A submodule of this package (`pkg/__init__.py` using `pkg.sub` implicitly).
  if (file.info.is_package) {
    Symbol s = ResolveAbsoluteImpl(join(file.info.module_name, dotted), depth + 1);
    if (s.kind == Symbol::Kind::kModule || s.kind == Symbol::Kind::kClass) return s;
  }
  // Builtins and unknown names stay unresolved; the caller decides.
  none.qualified_name = dotted;
  return none;
}

Symbol ModuleIndex::ResolveAbsoluteImpl(const std::string& dotted, int depth) const {
  Symbol s;
  s.qualified_name = dotted;
  if (depth > kMaxResolveDepth || dotted.empty()) return s;
  auto direct = classes_.find(dotted);
  if (direct != classes_.end()) {
    const IndexedFile& f = *files_[direct->second.first];
    s.kind = Symbol::Kind::kClass;
    s.cls = &f.classes[direct->second.second];
    s.qualified_name = s.cls->qualified_name;
    s.file = &f;
    return s;
  }
  // The longest indexed module that prefixes the name.
  std::string prefix = dotted;
  while (true) {
    const IndexedFile* file = FindModuleRaw(prefix);
    if (file != nullptr) {
      if (prefix.size() == dotted.size()) {
        // `pkg.alexnet` is the submodule unless the package's own namespace
        // binds the name again after importing it (`from .alexnet import *`
        // exporting a function `alexnet`, as torchvision.models does):
        // Python's lookup on the package then finds what it bound.
        const size_t dot = dotted.rfind('.');
        const IndexedFile* parent = dot == std::string::npos ? nullptr : FindModuleRaw(dotted.substr(0, dot));
        if (parent != nullptr && parent != file) {
          Symbol bound = ResolveIn(*parent, dotted.substr(dot + 1), depth + 1);
          if (bound.kind == Symbol::Kind::kClass || bound.kind == Symbol::Kind::kFunction ||
              bound.kind == Symbol::Kind::kAssignment) {
            return bound;
          }
        }
        s.kind = Symbol::Kind::kModule;
        s.file = file;
        return s;
      }
      std::string rest = dotted.substr(prefix.size() + 1);
      Symbol inner = ResolveIn(*file, rest, depth + 1);
      if (inner.kind != Symbol::Kind::kUnresolved) return inner;
      break;
    }
    auto dot = prefix.rfind('.');
    if (dot == std::string::npos) break;
    prefix.resize(dot);
  }
  // Not in the project: an external name (torch.nn.Linear, numpy.ndarray).
  const std::string head = dotted.substr(0, dotted.find('.'));
  const bool head_indexed = by_module_.count(head) != 0;
  s.kind = head_indexed ? Symbol::Kind::kUnresolved : Symbol::Kind::kExternal;
  return s;
}

ModuleClassification ModuleIndex::Classify(const ClassInfo& cls) const {
  std::lock_guard<std::recursive_mutex> lock(*classify_lock_);
  return ClassifyImpl(cls, 0);
}

ModuleClassification ModuleIndex::ClassifyImpl(const ClassInfo& cls, int depth) const {
  auto memo = classify_memo_.find(cls.qualified_name);
  if (memo != classify_memo_.end()) return memo->second;
  ModuleClassification result;
  result.chain.push_back(cls.qualified_name);
  if (depth > kMaxResolveDepth) return result;
  // torch's own Module, when torch itself is indexed.
  if (!BuiltinModuleName(cls.qualified_name).empty()) {
    result.kind = ModuleKind::kModule;
    classify_memo_[cls.qualified_name] = result;
    return result;
  }
  // Guard against cycles (class A(B), class B(A) in broken code).
  classify_memo_[cls.qualified_name] = result;
  bool any_unknown = false;
  std::vector<std::string> unknown_chain;
  const IndexedFile* file = FindFileRaw(cls.path);
  for (const auto& base_text : cls.base_texts) {
    Symbol s = file ? ResolveIn(*file, base_text, 0) : ResolveAbsoluteImpl(base_text, 0);
    std::string canonical = s.qualified_name.empty() ? base_text : s.qualified_name;
    if (!BuiltinModuleName(canonical).empty()) {
      result.kind = ModuleKind::kModule;
      result.chain.push_back(canonical);
      classify_memo_[cls.qualified_name] = result;
      return result;
    }
    if (s.kind == Symbol::Kind::kClass && s.cls != nullptr) {
      ModuleClassification inner = ClassifyImpl(*s.cls, depth + 1);
      if (inner.kind == ModuleKind::kModule) {
        result.kind = ModuleKind::kModule;
        result.chain.insert(result.chain.end(), inner.chain.begin(), inner.chain.end());
        classify_memo_[cls.qualified_name] = result;
        return result;
      }
      if (inner.kind == ModuleKind::kUnknown) {
        any_unknown = true;
        unknown_chain = inner.chain;
      }
      continue;
    }
    // External bases that are certainly not modules.
    static const char* kNotModules[] = {"object", "Exception", "ValueError", "RuntimeError", "TypeError",
                                        "KeyError", "NamedTuple", "typing.NamedTuple", "Enum", "enum.Enum",
                                        "IntEnum", "enum.IntEnum", "dict", "list", "tuple", "str", "int",
                                        "float", "typing.Generic", "Generic", "ABC", "abc.ABC", "Protocol",
                                        "typing.Protocol", "torch.autograd.Function", "Function",
                                        "torch.autograd.function.Function", "Dataset", "torch.utils.data.Dataset",
                                        "torch.utils.data.dataset.Dataset", "torch.Tensor", "Tensor", "str",
                                        "typing.TypedDict", "TypedDict", "Warning", "UserWarning"};
    bool known_not = false;
    for (const char* k : kNotModules) {
      if (canonical == k || base_text == k) known_not = true;
    }
    if (known_not) continue;
    any_unknown = true;
    unknown_chain = {canonical};
  }
  if (any_unknown) {
    result.kind = ModuleKind::kUnknown;
    result.chain.insert(result.chain.end(), unknown_chain.begin(), unknown_chain.end());
  } else {
    result.kind = ModuleKind::kNotModule;
  }
  classify_memo_[cls.qualified_name] = result;
  return result;
}

std::vector<const ClassInfo*> ModuleIndex::AllClasses() const {
  std::vector<const ClassInfo*> out;
  for (const auto& f : files_) {
    for (const auto& c : f->classes) out.push_back(&c);
  }
  return out;
}

Result<FileUpdate> ModuleIndex::UpdateFile(const std::string& path, const TSInputEdit& edit,
                                           std::string new_source) {
  auto it = by_path_.find(path);
  if (it == by_path_.end()) {
    return MakeError("python.not-indexed", path + " is not in the index", "add it with AddFile first");
  }
  size_t slot = it->second;
  IndexedFile& file = *files_[slot];
  if (edit.start_byte > file.parsed.source.size() || edit.old_end_byte > file.parsed.source.size() ||
      edit.old_end_byte < edit.start_byte || edit.new_end_byte > new_source.size()) {
    return MakeError("python.bad-edit", "the edit's byte range does not fit the file",
                     "send the full text instead");
  }
  // A deferred tree is built first: the edit applies to it.
  TSTree* old_tree = file.parsed.tree.get();
  // Class bodies before the edit, to report which ones changed.
  std::map<std::string, std::string> before;
  for (const auto& c : file.classes) {
    before[c.qualified_name] = ts_node_is_null(c.node) ? std::string() : std::string(file.parsed.Text(c.node));
  }

  // Edit a copy (cheap: trees share their nodes) so that a failed reparse
  // leaves the file's tree matching its source.
  TreePtr edited(old_tree != nullptr ? ts_tree_copy(old_tree) : nullptr);
  if (edited) ts_tree_edit(edited.get(), &edit);
  auto parsed = ParsePython(std::move(new_source), edited.get());
  if (!parsed.ok()) return parsed.error();
  total_bytes_ -= file.parsed.source.size();
  Unregister(slot);
  file.parsed = std::move(parsed.value());
  edited.reset();
  total_bytes_ += file.parsed.source.size();
  ExtractFromTree(file.parsed, &file);
  file.prescanned = false;
  file.prescan_mismatch = false;
  Register(slot);
  classify_memo_.clear();

  FileUpdate update;
  update.incremental = old_tree != nullptr;
  std::map<std::string, bool> seen;
  for (const auto& c : file.classes) {
    auto old = before.find(c.qualified_name);
    if (old == before.end() || old->second != file.parsed.Text(c.node)) {
      update.changed_classes.push_back(c.qualified_name);
    }
    seen[c.qualified_name] = true;
  }
  for (const auto& [name, text] : before) {
    if (!seen.count(name)) update.removed_classes.push_back(name);
  }
  return update;
}

}  // namespace ptlint
