// Call-site extraction, loading helpers of other project modules (see
// call_sites_extractor.h, InlineImportedHelper): `from utils.ckpt import
// load_weights` then `model.load_state_dict(load_weights("ckpt/x.pt"))`, or
// `load_checkpoint(model, "ckpt/x.pt")` whose body calls load_state_dict.
// A helper of the same file is followed by the file's own walk (its
// parameters seeded from the file's calls, its returns summarised); one of
// another module has no callers there, so its loads have no path. Here its
// body is walked at each call with the call's arguments, and the loads of
// a known file it makes are recorded at the call.
//
// Only a callee pinned down for certain is followed: Python's name lookup is
// re-done statement by statement (the index resolves a name to its first
// binding, which is enough to classify, not to say which body runs), and
// any doubt leaves the call alone: the loads stay unlinked, as before.
#include <algorithm>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

namespace {

constexpr int kMaxInlineNesting = 3;  // helper -> helper -> helper, then silence
constexpr int kMaxImportHops = 8;     // `from a import f` re-exported through packages

bool HasIdentifier(const ParsedPython& p, TSNode n, const std::string& name, int depth = 0) {
  if (ts_node_is_null(n) || depth > kMaxDepth) return false;
  if (IsType(n, "identifier")) return p.Text(n) == name;
  uint32_t count = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < count; ++i) {
    if (HasIdentifier(p, ts_node_named_child(n, i), name, depth + 1)) return true;
  }
  return false;
}

// The name an import clause binds: `a.b` -> "a" (import) or the name (from),
// `x as y` -> "y".
std::string ImportedAs(const ParsedPython& p, TSNode clause, bool from) {
  if (IsType(clause, "aliased_import")) return std::string(p.Text(Field(clause, "alias")));
  std::string text(p.Text(clause));
  if (!from) text = text.substr(0, text.find('.'));
  return text;
}

// A statement that binds `name` in the scope `block` belongs to.
struct Binding {
  TSNode statement{};
  bool plain_def = false;  // an undecorated def directly in the scanned block
};

// Every statement of `block` binding `name` in its scope: defs, classes,
// imports, assignment / for / with / except targets, `del`, `global`, also
// under `if`, loops, `try` and `with` (not in a nested def's or class's
// body, which are scopes of their own). Over-counting only makes a name
// ambiguous, never pinned wrongly.
void ScanBindings(const ParsedPython& p, TSNode block, const std::string& name, bool top,
                  std::vector<Binding>* out, int depth = 0) {
  if (ts_node_is_null(block) || depth > kMaxDepth) return;
  uint32_t n = ts_node_named_child_count(block);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode st = ts_node_named_child(block, i);
    const char* type = ts_node_type(st);
    if (std::strcmp(type, "function_definition") == 0 || std::strcmp(type, "class_definition") == 0) {
      if (p.Text(Field(st, "name")) == name) out->push_back({st, top && std::strcmp(type, "function_definition") == 0});
      continue;
    }
    if (std::strcmp(type, "decorated_definition") == 0) {
      TSNode def = Field(st, "definition");
      if (!ts_node_is_null(def) && p.Text(Field(def, "name")) == name) out->push_back({def, false});
      continue;
    }
    if (std::strcmp(type, "import_statement") == 0 || std::strcmp(type, "import_from_statement") == 0) {
      const bool from = std::strcmp(type, "import_from_statement") == 0;
      TSNode module = Field(st, "module_name");
      uint32_t m = ts_node_named_child_count(st);
      for (uint32_t j = 0; j < m; ++j) {
        TSNode c = ts_node_named_child(st, j);
        if (!ts_node_is_null(module) && ts_node_eq(c, module)) continue;
        if ((IsType(c, "dotted_name") || IsType(c, "aliased_import")) && ImportedAs(p, c, from) == name) {
          out->push_back({st, false});
          break;
        }
      }
      continue;
    }
    if (std::strcmp(type, "expression_statement") == 0) {
      uint32_t m = ts_node_named_child_count(st);
      for (uint32_t j = 0; j < m; ++j) {
        TSNode e = ts_node_named_child(st, j);
        bool binds = false;
        // `a = b = f(...)`: every left side of the chain.
        while (!ts_node_is_null(e) && (IsType(e, "assignment") || IsType(e, "augmented_assignment"))) {
          binds |= HasIdentifier(p, Field(e, "left"), name);
          e = Field(e, "right");
        }
        if (binds) {
          out->push_back({st, false});
          break;
        }
      }
      continue;
    }
    if (std::strcmp(type, "delete_statement") == 0 || std::strcmp(type, "global_statement") == 0 ||
        std::strcmp(type, "nonlocal_statement") == 0) {
      if (HasIdentifier(p, st, name)) out->push_back({st, false});
      continue;
    }
    if (std::strcmp(type, "for_statement") == 0 && HasIdentifier(p, Field(st, "left"), name)) {
      out->push_back({st, false});
    }
    // Compound statements: with / except aliases, then their blocks.
    uint32_t m = ts_node_named_child_count(st);
    for (uint32_t j = 0; j < m; ++j) {
      TSNode c = ts_node_named_child(st, j);
      if (IsType(c, "block")) {
        ScanBindings(p, c, name, false, out, depth + 1);
      } else if (IsType(c, "with_clause")) {
        uint32_t k = ts_node_named_child_count(c);
        for (uint32_t w = 0; w < k; ++w) {
          TSNode value = Field(ts_node_named_child(c, w), "value");
          if (!ts_node_is_null(value) && IsType(value, "as_pattern") && HasIdentifier(p, Field(value, "alias"), name)) {
            out->push_back({st, false});
          }
        }
      } else if (IsType(c, "elif_clause") || IsType(c, "else_clause") || IsType(c, "except_clause") ||
                 IsType(c, "finally_clause") || IsType(c, "except_group_clause")) {
        uint32_t k = ts_node_named_child_count(c);
        for (uint32_t w = 0; w < k; ++w) {
          TSNode part = ts_node_named_child(c, w);
          if (IsType(part, "block")) {
            ScanBindings(p, part, name, false, out, depth + 1);
          } else if (IsType(part, "as_pattern") && HasIdentifier(p, Field(part, "alias"), name)) {
            out->push_back({st, false});
          }
        }
      }
    }
  }
}

std::vector<Binding> BindingsOf(const ParsedPython& p, TSNode block, const std::string& name) {
  std::vector<Binding> out;
  ScanBindings(p, block, name, true, &out);
  return out;
}

// The def `name` is in module `file`, following `from x import name`
// through the modules that re-export it; nullopt unless every module on the
// way binds the name exactly once (a star import of a project module that
// may bind it counts as a binding) and the last binding is a plain def at
// module level.
std::optional<PinnedFunction> PinName(const ModuleIndex& index, const IndexedFile& file,
                                                 const std::string& name, int hops) {
  if (hops > kMaxImportHops || !file.parsed.tree) return std::nullopt;
  std::vector<Binding> bindings = BindingsOf(file.parsed, file.parsed.Root(), name);
  const IndexedFile* star_source = nullptr;
  int star_bindings = 0;
  for (const std::string& star : file.star_imports) {
    const IndexedFile* source = index.FindModule(star);
    if (source == nullptr || !source->parsed.tree) continue;  // not the project's: it defines no project helper
    if (source->has_all ? std::find(source->all.begin(), source->all.end(), name) == source->all.end()
                        : (!name.empty() && name[0] == '_')) {
      continue;
    }
    if (BindingsOf(source->parsed, source->parsed.Root(), name).empty() && source->star_imports.empty()) continue;
    ++star_bindings;
    star_source = source;
  }
  if (bindings.size() + static_cast<size_t>(star_bindings) != 1) return std::nullopt;
  if (star_source != nullptr) return PinName(index, *star_source, name, hops + 1);
  const Binding& only = bindings.front();
  if (IsType(only.statement, "function_definition")) {
    if (!only.plain_def) return std::nullopt;  // decorated, or defined under a condition
    PinnedFunction pinned;
    pinned.file = &file;
    pinned.def = only.statement;
    pinned.name = name;
    return pinned;
  }
  if (!IsType(only.statement, "import_from_statement")) return std::nullopt;
  for (const ImportBinding& imp : file.imports) {
    if (imp.local_name != name || imp.is_module_import) continue;
    const size_t dot = imp.target.rfind('.');
    if (dot == std::string::npos) return std::nullopt;
    const IndexedFile* source = index.FindModule(imp.target.substr(0, dot));
    if (source == nullptr) return std::nullopt;
    return PinName(index, *source, imp.target.substr(dot + 1), hops + 1);
  }
  return std::nullopt;
}

// The innermost function_definition around `n`.
TSNode EnclosingFunction(TSNode n) {
  for (n = ts_node_parent(n); !ts_node_is_null(n); n = ts_node_parent(n)) {
    if (IsType(n, "function_definition")) return n;
  }
  return TSNode{};
}

bool IsParameter(const ParsedPython& p, TSNode def, const std::string& name) {
  TSNode params = Field(def, "parameters");
  uint32_t n = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode param = ts_node_named_child(params, i);
    if (IsType(param, "identifier") ? p.Text(param) == name : HasIdentifier(p, Field(param, "name"), name)) return true;
    if (!IsType(param, "identifier") && ts_node_is_null(Field(param, "name")) && HasIdentifier(p, param, name)) {
      return true;  // typed_parameter, *args, **kwargs
    }
  }
  return false;
}

// What a helper's parameter may be bound to: what the caller knows of the
// argument that means the same in the helper's file (a path, a module, a
// config). Not a load or an optimizer (their site indices are the caller's),
// nor argparse's Namespace (whose attributes are the caller's file's).
bool Bindable(const Value& v) {
  return (v.kind == Value::kPath && v.path.known()) || v.kind == Value::kInstance ||
         v.kind == Value::kFactoryResult || v.kind == Value::kConfigObject ||
         (v.kind == Value::kDict && !v.dict_paths.empty());
}

}  // namespace

std::string_view DefinitionText(const IndexedFile& file, const FunctionInfo& fn) {
  const std::string& source = file.parsed.source;
  uint32_t next = 0;  // the first module-level def or class after fn's line
  auto consider = [&](uint32_t line) {
    if (line > fn.position.line && (next == 0 || line < next)) next = line;
  };
  for (const FunctionInfo& other : file.functions) consider(other.position.line);
  for (const ClassInfo& cls : file.classes) {
    if (!cls.nested) consider(cls.position.line);
  }
  size_t begin = std::string::npos, end = source.size();
  uint32_t line = 1;
  if (fn.position.line <= 1) begin = 0;
  // Newline to newline (find is memchr): called for every call of an
  // imported function, on files of thousands of lines.
  for (size_t i = 0; i < source.size();) {
    i = source.find('\n', i);
    if (i == std::string::npos) break;
    ++line;
    if (line == fn.position.line) begin = i + 1;
    if (next != 0 && line == next) {
      end = i + 1;
      break;
    }
    ++i;
  }
  if (begin == std::string::npos || begin > end) return std::string_view();
  return std::string_view(source).substr(begin, end - begin);
}

std::optional<PinnedFunction> Extractor::PinImportedFunction(TSNode call, TSNode callee, const Symbol& sym,
                                                                        const Env& env) {
  if (sym.kind != Symbol::Kind::kFunction || sym.function == nullptr) return std::nullopt;
  // Cheap first, before the helper's file has a tree: a helper whose text
  // does not say `load` makes no load.
  if (sym.file == nullptr || DefinitionText(*sym.file, *sym.function).find("load") == std::string_view::npos) {
    return std::nullopt;
  }
  const IndexedFile* home = index_.FindFile(sym.function->path);
  if (home == nullptr || IsNull(sym.function->node)) return std::nullopt;

  std::string head, attribute;
  if (IsType(callee, "identifier")) {
    head = Text(callee);
  } else if (IsType(callee, "attribute") && IsType(Field(callee, "object"), "identifier")) {
    head = Text(Field(callee, "object"));  // `ckpt.load_weights(...)`, `ckpt` an imported module
    attribute = Text(Field(callee, "attribute"));
  } else {
    return std::nullopt;
  }
  if (env.count(head) != 0) return std::nullopt;  // a local value of that name
  // Not a parameter or local of an enclosing function (a class body between
  // is not a scope the call sees, as in Python).
  for (TSNode f = EnclosingFunction(call); !IsNull(f); f = EnclosingFunction(f)) {
    if (IsParameter(file_.parsed, f, head) || !BindingsOf(file_.parsed, Field(f, "body"), head).empty()) {
      return std::nullopt;
    }
  }
  std::optional<PinnedFunction> pinned;
  if (attribute.empty()) {
    pinned = PinName(index_, file_, head, 0);
  } else {
    std::vector<Binding> bindings = BindingsOf(file_.parsed, file_.parsed.Root(), head);
    if (bindings.size() != 1 || !file_.star_imports.empty()) return std::nullopt;
    const TSNode st = bindings.front().statement;
    if (!IsType(st, "import_statement") && !IsType(st, "import_from_statement")) return std::nullopt;
    const ImportBinding* module_import = nullptr;
    for (const ImportBinding& imp : file_.imports) {
      if (imp.local_name == head) module_import = &imp;
    }
    const IndexedFile* module = module_import == nullptr ? nullptr : index_.FindModule(module_import->target);
    if (module == nullptr) return std::nullopt;
    pinned = PinName(index_, *module, attribute, 0);
  }
  // The body Python runs must be the one the index resolved.
  if (!pinned || pinned->file->info.path != sym.function->path || !ts_node_eq(pinned->def, sym.function->node)) {
    return std::nullopt;
  }
  return pinned;
}

std::optional<Value> Extractor::InlineImportedHelper(TSNode call, const PinnedFunction& fn, const ArgValues& passed,
                                                     const std::string& function, int depth) {
  const std::string key = fn.file->info.path + ":" + fn.name;
  if (static_cast<int>(inline_chain_.size()) >= kMaxInlineNesting || depth > kMaxDepth) return std::nullopt;
  if (std::find(inline_chain_.begin(), inline_chain_.end(), key) != inline_chain_.end()) return std::nullopt;
  TSNode body = Field(fn.def, "body");
  if (IsNull(body)) return std::nullopt;

  // The body walked as its own file would walk it, but with the parameters
  // bound (`bind`) or not (what the helper loads whatever it is given).
  auto walk = [&](bool bind, std::vector<CallSite>* sites, std::vector<std::pair<TSNode, Value>>* returns) {
    Extractor w(index_, *fn.file, *sites, path_values_);
    w.recording_ = false;
    w.effects_ = effects_;
    w.inline_chain_ = inline_chain_;
    w.inline_chain_.push_back(key);
    w.returns_ = returns;
    w.returns_of_ = fn.name;
    w.RecordFunction(fn.def, fn.name);
    const FunctionParams params = w.functions_[fn.name];
    Env env;
    for (size_t i = 0; bind && i < params.names.size(); ++i) {
      const std::string& name = params.names[i];
      Value value;
      if (i < passed.positional.size()) {
        value = passed.positional[i];
      } else if (auto kw = passed.keywords.find(name); kw != passed.keywords.end()) {
        value = kw->second;
      } else if (auto d = params.defaults.find(name); d != params.defaults.end()) {
        value = w.PathOnly(d->second, depth + 1);
      }
      if (!Bindable(value)) continue;
      value.load_site = -1;
      value.optimizer_site = -1;
      env[name] = std::move(value);
    }
    w.Block(body, env, fn.name, depth + 1);
  };
  std::vector<CallSite> sites;
  std::vector<std::pair<TSNode, Value>> returns;
  walk(true, &sites, &returns);

  // The loads of a file named by the caller's arguments are this call's. A
  // load whose path the helper names itself is recorded by the helper's
  // own file already: its copy here only links, and says nothing of
  // map_location or weights_only a second time.
  std::vector<std::pair<SourcePosition, std::string>> own_paths;
  bool baseline_done = false;
  auto helpers_own = [&](const CallSite& s) {
    if (!baseline_done) {
      std::vector<CallSite> plain;
      walk(false, &plain, nullptr);
      for (const CallSite& p : plain) {
        if ((p.kind == CallKind::kTorchLoad || p.kind == CallKind::kJitLoad) && p.checkpoint.known()) {
          own_paths.emplace_back(p.start, p.checkpoint.text);
        }
      }
      baseline_done = true;
    }
    for (const auto& [at, text] : own_paths) {
      if (at.line == s.start.line && at.column == s.start.column && text == s.checkpoint.text) return true;
    }
    return false;
  };
  auto at_call = [&](CallSite s) {
    if (s.through_path.empty()) {
      s.through = fn.name;
      s.through_path = s.path;
      s.through_start = s.start;
      s.through_args_end = s.args_end;
    }
    s.path = file_.info.path;
    s.module = file_.info.module_name;
    s.function = function;
    s.start = PositionOf(call);
    s.end = EndOf(call);
    s.call_text = Text(call).substr(0, 200);
    s.args_end = SourcePosition{};   // no argument list of this call to add map_location to
    s.result_variable.clear();       // the helper's names, not the caller's
    s.argument_text.clear();
    s.result_used_as_module = false;  // PTL302 reads the use in the helper's text: not followed here
    return s;
  };
  std::vector<int> remap(sites.size(), -1);
  for (size_t i = 0; i < sites.size(); ++i) {
    const CallSite& s = sites[i];
    if (s.kind == CallKind::kTorchLoad || s.kind == CallKind::kJitLoad) {
      if (!s.checkpoint.known()) continue;
      CallSite copy = at_call(s);
      if (helpers_own(s)) {
        copy.has_map_location = true;
        copy.weights_only = false;
      }
      remap[i] = static_cast<int>(out_.size());
      out_.push_back(std::move(copy));
    } else if (s.kind == CallKind::kLoadStateDict) {
      // Into a module the call passed (or the helper built), from a load
      // copied above; an optimizer's is not followed.
      if (s.load_site < 0 || static_cast<size_t>(s.load_site) >= i || remap[static_cast<size_t>(s.load_site)] < 0 ||
          s.optimizer_site >= 0 || (s.receiver_class.empty() && s.receiver_factory.empty())) {
        continue;
      }
      CallSite copy = at_call(s);
      copy.load_site = remap[static_cast<size_t>(s.load_site)];
      remap[i] = static_cast<int>(out_.size());
      out_.push_back(std::move(copy));
    }
  }

  // The call's value: the load every return gives, the same way.
  if (returns.empty() || ReturnsAnotherObject(fn.def)) return std::nullopt;
  const Value& first = returns.front().second;
  for (const auto& [node, r] : returns) {
    if (r.kind != Value::kLoad || r.load_site < 0 || r.load_site != first.load_site || !SameLoad(r, first)) {
      return std::nullopt;
    }
  }
  if (static_cast<size_t>(first.load_site) >= remap.size() || remap[static_cast<size_t>(first.load_site)] < 0) {
    return std::nullopt;
  }
  Value out = first;
  out.load_site = remap[static_cast<size_t>(first.load_site)];
  return out;
}

}  // namespace call_site_extraction
}  // namespace ptlint
