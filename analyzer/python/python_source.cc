#include "analyzer/python/python_source.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>
#include <unordered_map>

#include "analyzer/python/python_queries.h"
#include "analyzer/support/byte_source.h"
#include "analyzer/support/directory_walk.h"

namespace ptlint {

namespace fs = std::filesystem;

std::string_view ParsedPython::Text(TSNode node) const {
  if (ts_node_is_null(node)) return {};
  uint32_t begin = ts_node_start_byte(node);
  uint32_t end = ts_node_end_byte(node);
  if (begin > source.size() || end > source.size() || end < begin) return {};
  return std::string_view(source).substr(begin, end - begin);
}

namespace {

struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};

// One parser per thread: ts_parser_new + set_language per file is measurable
// when thousands of files are parsed.
TSParser* ThreadParser(bool* abi_ok) {
  thread_local std::unique_ptr<TSParser, ParserDeleter> parser;
  thread_local bool language_ok = false;
  if (!parser) {
    parser.reset(ts_parser_new());
    language_ok = ts_parser_set_language(parser.get(), tree_sitter_python());
    // Bounded work on hostile input: tree-sitter's parser is linear, but a cap
    // keeps a pathological file from stalling a whole workspace scan.
    ts_parser_set_timeout_micros(parser.get(), 10'000'000);
  }
  *abi_ok = language_ok;
  return parser.get();
}

}  // namespace

Result<TreePtr> ParsePythonTree(std::string_view source, const TSTree* old_tree) {
  if (source.size() > UINT32_MAX / 2) {
    return MakeError("python.too-large", "source file is larger than tree-sitter can address",
                     "exclude the file from the scan");
  }
  bool abi_ok = false;
  TSParser* parser = ThreadParser(&abi_ok);
  if (!abi_ok) {
    return MakeError("python.grammar-abi",
                     "the tree-sitter-python grammar's ABI does not match libtree-sitter",
                     "rebuild ptlint: grammars/CMakeLists.txt pins an ABI-14 grammar");
  }
  TSTree* tree = ts_parser_parse_string(parser, old_tree, source.data(),
                                        static_cast<uint32_t>(source.size()));
  if (tree == nullptr) {
    ts_parser_reset(parser);  // a timed-out parse would otherwise resume next time
    return MakeError("python.parse-timeout", "tree-sitter gave up parsing the file (timeout)",
                     "exclude the file from the scan");
  }
  return TreePtr(tree);
}

Result<ParsedPython> ParsePython(std::string source, const TSTree* old_tree) {
  auto tree = ParsePythonTree(source, old_tree);
  if (!tree.ok()) return tree.error();
  ParsedPython parsed;
  parsed.source = std::move(source);
  parsed.tree.reset(tree.value().release());
  return parsed;
}

SourcePosition PositionOf(TSNode node) {
  TSPoint p = ts_node_start_point(node);
  return {p.row + 1, p.column + 1};
}

void LazyTree::LoadOnce() const {
  std::lock_guard<std::recursive_mutex> lock(*lock_);
  if (ready_.load(std::memory_order_acquire) || in_load_) return;  // done, or this thread's own load
  Loader load = loader_;
  loader_ = nullptr;  // once, even if the load fails
  in_load_ = true;
  if (load != nullptr) load(owner_);
  in_load_ = false;
  ready_.store(true, std::memory_order_release);
}

TSFieldId FieldId(const TSLanguage* language, const char* name) {
  // ts_language_field_id_for_name looks the name up by a linear scan of the
  // grammar's field names on every call; the walkers ask for a handful of
  // names millions of times, so each (language, name) is looked up once.
  // Keyed by content (the pointer may be a temporary's buffer); per thread.
  // The first byte is compared before strcmp: most entries differ there.
  struct Entry {
    const TSLanguage* language;
    std::string name;
    TSFieldId id;
  };
  thread_local std::vector<Entry> cache;
  // Callers pass the same few literals over and over: a small table by the
  // pointer's value finds the entry with one strcmp (the content is still
  // compared, so a reused buffer holding another name is not mistaken).
  struct Recent {
    const char* pointer = nullptr;
    const TSLanguage* language = nullptr;
    size_t entry = 0;
  };
  thread_local Recent recent[64];
  Recent& slot = recent[(reinterpret_cast<uintptr_t>(name) >> 3) & 63];
  if (slot.pointer == name && slot.language == language && std::strcmp(cache[slot.entry].name.c_str(), name) == 0) {
    return cache[slot.entry].id;
  }
  for (size_t i = 0; i < cache.size(); ++i) {
    const Entry& e = cache[i];
    if (e.language == language && e.name[0] == name[0] && std::strcmp(e.name.c_str(), name) == 0) {
      slot = {name, language, i};
      return e.id;
    }
  }
  uint32_t length = static_cast<uint32_t>(std::strlen(name));
  TSFieldId id = ts_language_field_id_for_name(language, name, length);
  if (cache.size() < 256) {
    cache.push_back({language, name, id});
    slot = {name, language, cache.size() - 1};
  }
  return id;
}

TSNode Field(TSNode node, const char* field) {
  if (ts_node_is_null(node)) return node;
  TSFieldId id = FieldId(ts_tree_language(node.tree), field);
  return id == 0 ? TSNode{} : ts_node_child_by_field_id(node, id);
}

bool IsType(TSNode node, const char* type) {
  if (ts_node_is_null(node)) return false;
  const char* actual = ts_node_type(node);
  return actual[0] == type[0] && std::strcmp(actual, type) == 0;
}

bool HoldsStatements(const char* type) {
  static const char* const kTypes[] = {"module", "block", "class_definition", "function_definition",
                                       "decorated_definition", "if_statement", "elif_clause", "else_clause",
                                       "for_statement", "while_statement", "try_statement", "except_clause",
                                       "except_group_clause", "finally_clause", "with_statement",
                                       "match_statement", "case_clause"};
  for (const char* t : kTypes) {
    if (std::strcmp(type, t) == 0) return true;
  }
  return false;
}

std::vector<TSNode> NamedChildren(TSNode node) {
  std::vector<TSNode> out;
  if (ts_node_is_null(node)) return out;
  out.reserve(ts_node_named_child_count(node));
  // A cursor visits the visible children (descending into hidden ones, as
  // ts_node_named_child does); the named ones among them are the named
  // children. One cursor per thread, reset onto each node: ts_tree_cursor_new
  // allocates. Nothing runs between reset and the end of the walk, so the
  // reuse is safe.
  struct Cursor {
    TSTreeCursor cursor{};
    bool made = false;
    ~Cursor() {
      if (made) ts_tree_cursor_delete(&cursor);
    }
  };
  thread_local Cursor walker;
  if (!walker.made) {
    walker.cursor = ts_tree_cursor_new(node);
    walker.made = true;
  } else {
    ts_tree_cursor_reset(&walker.cursor, node);
  }
  if (ts_tree_cursor_goto_first_child(&walker.cursor)) {
    do {
      TSNode child = ts_tree_cursor_current_node(&walker.cursor);
      if (ts_node_is_named(child)) out.push_back(child);
    } while (ts_tree_cursor_goto_next_sibling(&walker.cursor));
  }
  return out;
}

const TSQuery* IndexQuery(std::string* error) {
  static std::once_flag once;
  static TSQuery* query = nullptr;
  static std::string compile_error;
  std::call_once(once, [] {
    uint32_t offset = 0;
    TSQueryError kind = TSQueryErrorNone;
    query = ts_query_new(tree_sitter_python(), kPythonQuery_index,
                         static_cast<uint32_t>(std::strlen(kPythonQuery_index)), &offset, &kind);
    if (query == nullptr) {
      compile_error = "grammars/python/queries/index.scm does not compile (error " +
                      std::to_string(static_cast<int>(kind)) + " at byte " +
                      std::to_string(offset) + ")";
    }
  });
  if (error != nullptr) *error = compile_error;
  return query;
}

namespace {

bool Excluded(const fs::path& rel, const DiscoveryOptions& options) {
  const std::string rel_str = rel.generic_string();
  for (const auto& pattern : options.excludes) {
    if (fnmatch(pattern.c_str(), rel_str.c_str(), 0) == 0) return true;
    for (const auto& part : rel) {
      if (fnmatch(pattern.c_str(), part.c_str(), 0) == 0) return true;
    }
  }
  return false;
}

bool HasInit(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "__init__.py", ec);
}

// The sys.path entry under which `dir` is imported.
fs::path ImportRootOf(fs::path dir) {
  fs::path root = dir;
  // A package root: walk up to the first directory that is not a package.
  int guard = 0;
  while (HasInit(root) && root.has_parent_path() && root.parent_path() != root && guard++ < 256) {
    root = root.parent_path();
  }
  return root;
}

}  // namespace

std::string ModuleNameFromPath(const std::string& file_path, const std::string& import_root) {
  std::error_code ec;
  fs::path rel = fs::path(file_path).lexically_relative(fs::path(import_root));
  if (rel.empty() || rel.native().rfind("..", 0) == 0) rel = fs::path(file_path).filename();
  std::string name;
  for (auto it = rel.begin(); it != rel.end(); ++it) {
    std::string part = it->string();
    if (std::next(it) == rel.end()) {
      if (part.size() > 3 && part.compare(part.size() - 3, 3, ".py") == 0) part.resize(part.size() - 3);
      if (part == "__init__") break;
    }
    if (part == ".") continue;
    if (!name.empty()) name += '.';
    name += part;
  }
  return name;
}

std::string ResolveRelativeModule(const std::string& module, bool is_package, int dots,
                                  const std::string& relative_name) {
  // The package the importing module lives in.
  std::string package = module;
  if (!is_package) {
    auto dot = package.rfind('.');
    package = dot == std::string::npos ? std::string() : package.substr(0, dot);
  }
  for (int i = 1; i < dots; ++i) {
    if (package.empty()) return {};
    auto dot = package.rfind('.');
    package = dot == std::string::npos ? std::string() : package.substr(0, dot);
  }
  if (relative_name.empty()) return package;
  if (package.empty()) return relative_name;
  return package + "." + relative_name;
}

std::vector<DiscoveredFile> DiscoverPythonFiles(const std::vector<std::string>& roots,
                                                const DiscoveryOptions& options,
                                                std::vector<Error>* problems) {
  std::vector<DiscoveredFile> found;
  std::unordered_map<std::string, fs::path> own_roots;  // folder -> its ImportRootOf
  auto add_file = [&](const fs::path& file, const fs::path& import_root) {
    std::error_code ec;
    uint64_t size = fs::file_size(file, ec);
    if (ec) return;
    if (size > options.max_file_bytes) {
      if (problems) {
        problems->push_back(MakeError("python.file-too-large",
                                      file.string() + " is " + std::to_string(size) +
                                          " bytes, above the " +
                                          std::to_string(options.max_file_bytes) + "-byte limit",
                                      "exclude it, or raise the limit if it is real source"));
      }
      return;
    }
    DiscoveredFile f;
    f.path = file.string();
    f.module_name = ModuleNameFromPath(file.string(), import_root.string());
    f.is_package = file.filename() == "__init__.py";
    fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
    auto cached = own_roots.find(folder.string());
    if (cached == own_roots.end()) cached = own_roots.emplace(folder.string(), ImportRootOf(folder)).first;
    const fs::path& own_root = cached->second;
    if (own_root.lexically_normal() != import_root.lexically_normal()) {
      std::string own = ModuleNameFromPath(file.string(), own_root.string());
      if (!own.empty() && own != f.module_name) f.script_module_name = std::move(own);
    }
    f.size = size;
    found.push_back(std::move(f));
  };

  for (const auto& root_str : roots) {
    std::error_code ec;
    fs::path root(root_str);
    auto status = fs::status(root, ec);  // a root named through a link is followed
    if (ec || !fs::exists(status)) {
      if (problems) problems->push_back(MakeError("python.no-such-path", root_str + " does not exist"));
      continue;
    }
    if (fs::is_regular_file(status)) {
      if (root.extension() == ".py") add_file(root, ImportRootOf(root.has_parent_path() ? root.parent_path() : fs::path(".")));
      continue;
    }
    if (!fs::is_directory(status)) continue;
    fs::path import_root = ImportRootOf(root);
    // src-layout: the project root holds src/<pkg>/__init__.py.
    fs::path src = root / "src";
    const bool src_layout = !HasInit(root) && fs::is_directory(src, ec);
    // Links are followed, bounded and loop-safe (directory_walk.h): module
    // names come from the path as reached, as Python's own import does.
    std::vector<WalkProblem> walk_problems;
    WalkDirectory(
        root_str, WalkOptions{},
        [&](const WalkEntry& entry) {
          fs::path rel(entry.relative);
          if (Excluded(rel, options)) return false;
          if (entry.type == WalkEntry::Type::kDirectory) return true;
          fs::path p(entry.path);
          if (p.extension() != ".py") return true;
          if (entry.type != WalkEntry::Type::kFile) {
            if (problems) {
              problems->push_back(MakeError(
                  "python.unreadable",
                  entry.type == WalkEntry::Type::kDangling
                      ? entry.path + " is a symbolic link to a missing file"
                      : entry.path + " is " + FileTypeDescription(entry.mode) + ", not a regular file"));
            }
            return true;
          }
          fs::path file_root = import_root;
          if (src_layout && *rel.begin() == "src") file_root = src;
          add_file(p, file_root);
          return true;
        },
        &walk_problems);
    for (const WalkProblem& wp : walk_problems) {
      if (problems) problems->push_back(MakeError("python.unreadable", wp.path + ": " + wp.message));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const DiscoveredFile& a, const DiscoveredFile& b) { return a.path < b.path; });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const DiscoveredFile& a, const DiscoveredFile& b) { return a.path == b.path; }),
              found.end());
  return found;
}

bool StringLiteralValue(const ParsedPython& file, TSNode node, std::string* out) {
  if (IsType(node, "concatenated_string")) {
    std::string all;
    uint32_t n = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < n; ++i) {
      std::string part;
      if (!StringLiteralValue(file, ts_node_named_child(node, i), &part)) return false;
      all += part;
    }
    *out = std::move(all);
    return true;
  }
  if (!IsType(node, "string")) return false;
  std::string value;
  uint32_t n = ts_node_named_child_count(node);
  bool raw = false;
  for (uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(node, i);
    const char* type = ts_node_type(child);
    if (std::strcmp(type, "string_start") == 0) {
      std::string_view start = file.Text(child);
      for (char c : start) {
        if (c == 'f' || c == 'F') return false;  // f-strings are evaluated elsewhere
        if (c == 'r' || c == 'R') raw = true;
      }
    } else if (std::strcmp(type, "string_content") == 0) {
      std::string_view text = file.Text(child);
      for (size_t k = 0; k < text.size(); ++k) {
        if (!raw && text[k] == '\\' && k + 1 < text.size()) {
          char e = text[k + 1];
          if (e == 'n') { value += '\n'; ++k; continue; }
          if (e == 't') { value += '\t'; ++k; continue; }
          if (e == '\\' || e == '\'' || e == '"') { value += e; ++k; continue; }
        }
        value += text[k];
      }
    } else if (std::strcmp(type, "interpolation") == 0) {
      return false;
    } else if (std::strcmp(type, "escape_sequence") == 0) {
      value += file.Text(child);
    }
  }
  *out = std::move(value);
  return true;
}

}  // namespace ptlint
