// Call-site extraction, expression values (see call_sites_extractor.h): what
// an expression evaluates to as far as the extractor follows it — a path
// (literal, f-string with `*` for interpolations, `/` and `+` joins, a
// module constant), a loaded checkpoint and the keys read from it, a state
// dict — and literal constructor arguments as JSON.
#include <cstring>
#include <filesystem>
#include <set>

#include "analyzer/python/call_sites_extractor.h"

namespace ptlint {
namespace call_site_extraction {

// Module-level constants (`CKPT = "ckpt/model.pt"`), in this file or
// imported from another (`from config import CKPT`, `config.CKPT`).
Value Extractor::Constant(const std::string& name, int depth) {
  Reached(depth);
  if (depth > kMaxDepth) return {};
  auto it = file_.assignments.find(name);
  if (it != file_.assignments.end()) {
    return PathOnly(it->second, depth + 1);
  }
  return ImportedConstant(name, depth + 1);
}

Value Extractor::ImportedConstant(const std::string& dotted, int depth) {
  Reached(depth);
  if (depth > kMaxDepth) return {};
  // Names only first: resolving must not parse every file a name points into.
  auto is_assignment = [&] {
    return index_.ResolveName(file_.info.module_name, dotted).kind == Symbol::Kind::kAssignment;
  };
  if (path_values_ != nullptr) {
    auto [known, fresh] = path_values_->assignment_names.try_emplace(file_.info.module_name + "\n" + dotted, false);
    if (fresh) known->second = is_assignment();
    if (!known->second) return {};
  } else if (!is_assignment()) {
    return {};
  }
  Symbol s = index_.Resolve(file_.info.module_name, dotted);
  if (s.kind != Symbol::Kind::kAssignment || s.file == nullptr || ts_node_is_null(s.assignment)) return {};
  std::vector<CallSite> scratch;
  Extractor inner(index_, *s.file, scratch, filling_argparse_ ? nullptr : path_values_);
  Value v = inner.PathOnly(s.assignment, depth + 1);
  Reached(inner.deepest_);
  return v;
}

// `parser.add_argument("--ckpt", default="ckpt/x.pt")` and
// `parser.set_defaults(ckpt=...)` anywhere in the file: dest -> default. A
// dest given two different defaults is dropped (which one applies is not
// known here).
const std::map<std::string, PathExpr>& Extractor::ArgparseDefaults() {
  if (argparse_) return *argparse_;
  argparse_.emplace();
  std::map<std::string, PathExpr>& out = *argparse_;
  std::set<std::string> conflicting;
  auto add = [&](const std::string& dest, const PathExpr& value) {
    if (dest.empty() || conflicting.count(dest)) return;
    auto [it, fresh] = out.emplace(dest, value);
    if (!fresh && (it->second.text != value.text || it->second.is_glob != value.is_glob)) {
      out.erase(it);
      conflicting.insert(dest);
    }
  };
  if (file_.parsed.source.find("add_argument") == std::string::npos &&
      file_.parsed.source.find("set_defaults") == std::string::npos) {
    return out;
  }
  // Evaluations below see the map half filled: not memoised.
  filling_argparse_ = true;
  struct Filled {
    bool& flag;
    ~Filled() { flag = false; }
  } filled{filling_argparse_};
  std::vector<TSNode> stack = {file_.parsed.Root()};
  size_t visited = 0;
  while (!stack.empty() && ++visited < 2'000'000) {
    TSNode n = stack.back();
    stack.pop_back();
    if (ts_node_is_null(n)) continue;
    if (IsType(n, "call")) {
      TSNode callee = Field(n, "function");
      std::string method = IsType(callee, "attribute") ? Text(Field(callee, "attribute")) : "";
      if (method == "add_argument" || method == "set_defaults") {
        Args args = SplitArgs(Field(n, "arguments"));
        if (method == "set_defaults") {
          for (const auto& [name, node] : args.keywords) add(name, PathOnly(node, 1).path);
        } else {
          std::string dest, long_option, short_option, positional;
          for (TSNode a : args.positional) {
            std::string opt;
            if (!StringLiteralValue(file_.parsed, a, &opt) || opt.empty()) continue;
            if (opt.rfind("--", 0) == 0) {
              if (long_option.empty()) long_option = opt.substr(2);
            } else if (opt[0] == '-') {
              if (short_option.empty()) short_option = opt.substr(1);
            } else if (positional.empty()) {
              positional = opt;
            }
          }
          TSNode dest_node = args.Keyword("dest");
          if (!ts_node_is_null(dest_node)) StringLiteralValue(file_.parsed, dest_node, &dest);
          if (dest.empty()) dest = !long_option.empty() ? long_option : !positional.empty() ? positional : short_option;
          for (char& c : dest) {
            if (c == '-') c = '_';
          }
          TSNode value = args.Keyword("default");
          Value d = ts_node_is_null(value) ? Value{} : PathOnly(value, 1);
          add(dest, d.kind == Value::kPath ? d.path : PathExpr{});
        }
      }
    }
    uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = count; i > 0; --i) stack.push_back(ts_node_named_child(n, i - 1));
  }
  return out;
}

PathExpr Extractor::SitePath(const PathExpr& p) const {
  if (!p.known()) return p;
  if (p.is_glob) {
    // The file-name part without its wildcards: nothing, or only an
    // extension, would match any file there.
    size_t slash = p.text.rfind('/');
    std::string literal;
    for (char c : p.text.substr(slash == std::string::npos ? 0 : slash + 1)) {
      if (c != '*' && c != '?') literal += c;
    }
    if (literal.empty() || (literal[0] == '.' && literal.find('.', 1) == std::string::npos)) return {};
  }
  namespace fs = std::filesystem;
  fs::path path(p.text);
  if (path.is_absolute()) return p;
  fs::path normal = path.lexically_normal();
  if (normal.empty() || *normal.begin() != "..") return p;
  // `../ckpt/x.pt`: a script's relative paths climb from the folder it runs
  // in, its own (the convention for scripts that climb out of it).
  std::error_code ec;
  fs::path script_dir = fs::path(file_.info.path).parent_path();
  fs::path base = fs::absolute(script_dir.empty() ? fs::path(".") : script_dir, ec);
  if (ec) return p;
  PathExpr resolved = p;
  resolved.text = (base / normal).lexically_normal().generic_string();
  return resolved;
}

// Evaluates an expression for its path value only, recording no call sites.
Value Extractor::PathOnly(TSNode e, int depth) {
  const bool memo = path_values_ != nullptr && !filling_argparse_;
  const PathValueCache::Key key{&file_, e.id, ts_node_start_byte(e)};
  if (memo) {
    auto it = path_values_->entries.find(key);
    if (it != path_values_->entries.end() && depth + it->second.span <= kMaxDepth) {
      Reached(depth + it->second.span);
      return it->second.value;
    }
  }
  std::vector<CallSite> scratch;
  Extractor inner(index_, file_, scratch, memo ? path_values_ : nullptr);
  inner.recording_ = false;
  inner.argparse_ = argparse_;
  Env env;
  Value v = inner.Expr(e, env, "", depth);
  Reached(inner.deepest_);
  if (memo && inner.deepest_ <= kMaxDepth) {
    path_values_->entries[key] = PathValueCache::Entry{v, inner.deepest_ > depth ? inner.deepest_ - depth : 0};
  }
  return v;
}

PathExpr Extractor::JoinPaths(const std::vector<PathExpr>& parts) {
  PathExpr p;
  for (const PathExpr& part : parts) {
    if (!part.known()) {
      p.text += "*";
      p.is_glob = true;
      continue;
    }
    if (!p.text.empty() && p.text.back() != '/') p.text += "/";
    p.text += part.text;
    p.is_glob |= part.is_glob;
  }
  return p;
}

PathExpr Extractor::StringValue(TSNode s) {
  PathExpr p;
  std::string literal;
  if (StringLiteralValue(file_.parsed, s, &literal)) {
    p.text = literal;
    return p;
  }
  // An f-string: its literal pieces, with `*` for each interpolation.
  uint32_t n = ts_node_named_child_count(s);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(s, i);
    if (IsType(c, "string_content")) {
      p.text += Text(c);
    } else if (IsType(c, "interpolation")) {
      if (p.text.empty() || p.text.back() != '*') p.text += "*";
      p.is_glob = true;
    }
  }
  if (p.text == "*") p.text.clear();
  return p;
}

Value Extractor::Expr(TSNode e, Env& env, const std::string& function, int depth) {
  Value v;
  Reached(depth);
  if (ts_node_is_null(e) || depth > kMaxDepth) return v;
  const char* type = ts_node_type(e);
  if (std::strcmp(type, "parenthesized_expression") == 0 && ts_node_named_child_count(e) == 1) {
    return Expr(ts_node_named_child(e, 0), env, function, depth + 1);
  }
  if (std::strcmp(type, "string") == 0 || std::strcmp(type, "concatenated_string") == 0) {
    v.kind = Value::kPath;
    v.path = StringValue(e);
    return v;
  }
  if (std::strcmp(type, "identifier") == 0 || std::strcmp(type, "attribute") == 0) {
    auto it = env.find(Text(e));
    if (it != env.end()) return it->second;
    if (std::strcmp(type, "identifier") == 0) return Constant(Text(e), depth + 1);
    TSNode object = Field(e, "object");
    Value base = Expr(object, env, function, depth + 1);
    std::string attribute = Text(Field(e, "attribute"));
    // `args.ckpt` after `args = parser.parse_args()`, or on a name nothing
    // here binds (`def main(args)`): the argparse default of that dest.
    if (IsType(object, "identifier")) {
      std::string owner = Text(object);
      bool args_like = base.kind == Value::kArgs ||
                       (base.kind == Value::kNone && owner != "self" && owner != "cls");
      if (args_like) {
        const auto& defaults = ArgparseDefaults();
        auto d = defaults.find(attribute);
        if (d != defaults.end() && d->second.known()) {
          v.kind = Value::kPath;
          v.path = d->second;
          return v;
        }
      }
      if (base.kind == Value::kNone && env.find(owner) == env.end()) {
        return ImportedConstant(Text(e), depth + 1);  // `config.CKPT` of an imported module
      }
    }
    return v;
  }
  if (std::strcmp(type, "subscript") == 0) {
    Value base = Expr(Field(e, "value"), env, function, depth + 1);
    TSNode sub = Field(e, "subscript");
    std::string key;
    if (base.kind == Value::kLoad && !ts_node_is_null(sub) && IsType(sub, "string") &&
        StringLiteralValue(file_.parsed, sub, &key)) {
      SubscriptLoad(base, key);
      return base;
    }
    if (base.kind == Value::kDict && !ts_node_is_null(sub) && IsType(sub, "string") &&
        StringLiteralValue(file_.parsed, sub, &key)) {
      return DictEntry(base, key);
    }
    Expr(sub, env, function, depth + 1);
    return v;
  }
  if (std::strcmp(type, "binary_operator") == 0) {
    Value l = Expr(Field(e, "left"), env, function, depth + 1);
    Value r = Expr(Field(e, "right"), env, function, depth + 1);
    std::string op = Text(Field(e, "operator"));
    if ((op == "/" || op == "+") && (l.kind == Value::kPath || r.kind == Value::kPath)) {
      v.kind = Value::kPath;
      if (op == "/") {
        v.path = JoinPaths({l.path, r.path});
      } else {
        v.path.text = (l.path.known() ? l.path.text : "*") + (r.path.known() ? r.path.text : "*");
        v.path.is_glob = l.path.is_glob || r.path.is_glob || !l.path.known() || !r.path.known();
      }
    }
    return v;
  }
  if (std::strcmp(type, "dictionary") == 0) {
    // A config dict: its path values are kept, by key (nested keys joined).
    Value dict;
    dict.kind = Value::kDict;
    uint32_t n = ts_node_named_child_count(e);
    dict.empty = true;
    for (uint32_t i = 0; i < n; ++i) dict.empty &= IsType(ts_node_named_child(e, i), "comment");
    for (uint32_t i = 0; i < n; ++i) {
      TSNode pair = ts_node_named_child(e, i);
      if (!IsType(pair, "pair")) {
        Expr(pair, env, function, depth + 1);
        continue;
      }
      Value val = Expr(Field(pair, "value"), env, function, depth + 1);
      if (val.kind == Value::kStateDict) v.kind = Value::kDictWithStateDict;
      std::string key;
      if (StringLiteralValue(file_.parsed, Field(pair, "key"), &key)) AddDictEntry(dict, key, val);
    }
    if (v.kind == Value::kDictWithStateDict) return v;
    return dict;
  }
  if (std::strcmp(type, "list") == 0 || std::strcmp(type, "tuple") == 0) {
    // A list of globals (`allowed = [Net, Block]` for safe_globals); other
    // elements are walked for calls.
    Value list;
    list.kind = Value::kGlobals;
    uint32_t n = ts_node_named_child_count(e);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode el = ts_node_named_child(e, i);
      std::string as_named;
      if (IsType(el, "identifier") || IsType(el, "attribute")) {
        std::string t = Text(el);
        Symbol g = index_.ResolveName(file_.info.module_name, t);
        // A project class is allowlisted under its definition's module (torch
        // keys add_safe_globals by `__module__.__qualname__`), not the path it
        // was imported by (`from configs import TrainConfig`, a re-export).
        if (g.kind == Symbol::Kind::kClass && g.cls != nullptr && !g.cls->nested) {
          list.names.push_back(g.cls->qualified_name);
        } else {
          list.names.push_back(g.qualified_name.empty() ? t : g.qualified_name);
        }
      } else if (IsType(el, "tuple") && ts_node_named_child_count(el) == 2 &&
                 StringLiteralValue(file_.parsed, ts_node_named_child(el, 1), &as_named)) {
        // `(Foo, "pkg.Foo")` (torch >= 2.6): Foo allowlisted under the name
        // the checkpoint uses, whatever Foo's own module is.
        list.names.push_back(as_named);
      } else if (!IsType(el, "comment")) {
        Expr(el, env, function, depth + 1);
      }
    }
    return list;
  }
  if (std::strcmp(type, "call") == 0) return Call(e, env, function, depth + 1);
  if (std::strcmp(type, "dictionary_comprehension") == 0) {
    // `{re.sub(..., k): v for k, v in sd.items()}` on a loaded state dict:
    // the same load, its keys rewritten. Another comprehension is not it.
    TSNode iterable{};
    if (std::optional<LoadKeyRewrite> rewrite = KeyRewriteOf(e, &iterable)) {
      Value loaded = Expr(iterable, env, function, depth + 1);
      if (loaded.kind == Value::kLoad) {
        loaded.key_rewrites.push_back(std::move(*rewrite));
        return loaded;
      }
      return v;
    }
  }
  uint32_t n = ts_node_named_child_count(e);
  for (uint32_t i = 0; i < n; ++i) Expr(ts_node_named_child(e, i), env, function, depth + 1);
  return v;
}

void Extractor::AddDictEntry(Value& dict, const std::string& key, const Value& value) {
  if (value.kind == Value::kPath) {
    dict.dict_paths[key] = value.path;
  } else if (value.kind == Value::kDict) {
    for (const auto& [sub, path] : value.dict_paths) dict.dict_paths[key + kKeySep + sub] = path;
  }
}

Value Extractor::DictEntry(const Value& dict, const std::string& key) {
  Value v;
  auto exact = dict.dict_paths.find(key);
  if (exact != dict.dict_paths.end()) {
    v.kind = Value::kPath;
    v.path = exact->second;
    return v;
  }
  std::string prefix = key + kKeySep;
  for (auto it = dict.dict_paths.lower_bound(prefix);
       it != dict.dict_paths.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    v.kind = Value::kDict;
    v.dict_paths[it->first.substr(prefix.size())] = it->second;
  }
  return v;
}

// The arguments of a call that are literals: "0", "1", ... for positional
// ones, names for keywords (bound against the signature by the prediction).
std::map<std::string, nlohmann::json> Extractor::LiteralArgs(const Args& args, const Env* env) {
  std::map<std::string, nlohmann::json> out;
  // A variable bound to a config object built from literals (`cfg =
  // GPTConfig(n_layer=4)` ... `GPT(cfg)`), when nothing else touches it.
  auto config = [&](TSNode n) -> std::optional<nlohmann::json> {
    if (env == nullptr || !IsType(n, "identifier")) return std::nullopt;
    auto it = env->find(Text(n));
    if (it == env->end() || it->second.kind != Value::kConfigObject) return std::nullopt;
    if (!BoundAndUsedOnce(Text(n))) return std::nullopt;
    return it->second.config;
  };
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (auto lit = Literal(args.positional[i])) {
      out[std::to_string(i)] = *lit;
    } else if (auto cfg = config(args.positional[i])) {
      out[std::to_string(i)] = *cfg;
    }
  }
  for (const auto& [name, node] : args.keywords) {
    if (auto lit = Literal(node)) {
      out[name] = *lit;
    } else if (auto cfg = config(node)) {
      out[name] = *cfg;
    }
  }
  return out;
}

bool Extractor::BoundAndUsedOnce(const std::string& name) {
  int count = 0;
  std::vector<TSNode> stack = {file_.parsed.Root()};
  size_t visited = 0;
  while (!stack.empty() && ++visited < 2'000'000) {
    TSNode n = stack.back();
    stack.pop_back();
    if (IsType(n, "identifier") && Text(n) == name && ++count > 2) return false;
    // `from config import Config` names a module, not the variable.
    TSNode from_module = IsType(n, "import_from_statement") ? Field(n, "module_name") : TSNode{};
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; ++i) {
      TSNode child = ts_node_named_child(n, i);
      if (!ts_node_is_null(from_module) && ts_node_eq(child, from_module)) continue;
      stack.push_back(child);
    }
  }
  return count == 2 && visited < 2'000'000;
}

// A literal constructor argument as JSON: ints, floats, booleans, None,
// strings, and lists/tuples of those. Anything else is not given.
std::optional<nlohmann::json> Extractor::Literal(TSNode n, int depth) {
  if (ts_node_is_null(n) || depth > 8) return std::nullopt;
  std::string t = Text(n);
  if (IsType(n, "integer")) {
    try {
      return nlohmann::json(std::stoll(t, nullptr, 0));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (IsType(n, "float")) {
    try {
      return nlohmann::json(std::stod(t));
    } catch (...) {
      return std::nullopt;
    }
  }
  if (IsType(n, "true")) return nlohmann::json(true);
  if (IsType(n, "false")) return nlohmann::json(false);
  if (IsType(n, "none")) return nlohmann::json(nullptr);
  if (IsType(n, "unary_operator") && t.size() > 1 && t[0] == '-') {
    auto inner = Literal(Field(n, "argument"), depth + 1);
    if (inner && inner->is_number_integer()) return nlohmann::json(-inner->get<int64_t>());
    if (inner && inner->is_number_float()) return nlohmann::json(-inner->get<double>());
    return std::nullopt;
  }
  if (IsType(n, "string")) {
    std::string v;
    if (StringLiteralValue(file_.parsed, n, &v)) return nlohmann::json(v);
    return std::nullopt;
  }
  if (IsType(n, "call")) {
    // A project class built from literals (`GPT(GPTConfig())`,
    // `GPT(GPTConfig(n_layer=4))`, `Model(encoder=Encoder(64))`): the
    // prediction builds it the same way ("$class", "$args", keywords; see
    // PredictOptions::args). Any argument that is not a literal (a splat,
    // a variable) leaves the whole argument unknown.
    TSNode callee = Field(n, "function");
    if (ts_node_is_null(callee) || !(IsType(callee, "identifier") || IsType(callee, "attribute"))) {
      return std::nullopt;
    }
    Symbol sym = index_.ResolveName(file_.info.module_name, Text(callee));
    if (sym.kind != Symbol::Kind::kClass || sym.cls == nullptr) return std::nullopt;
    nlohmann::json obj = nlohmann::json::object();
    obj["$class"] = sym.cls->qualified_name;
    Args args = SplitArgs(Field(n, "arguments"));
    nlohmann::json positional = nlohmann::json::array();
    for (TSNode a : args.positional) {
      auto el = Literal(a, depth + 1);
      if (!el) return std::nullopt;
      positional.push_back(*el);
    }
    if (!positional.empty()) obj["$args"] = positional;
    for (const auto& [name, node] : args.keywords) {
      if (name.empty() || name[0] == '$') return std::nullopt;
      auto el = Literal(node, depth + 1);
      if (!el) return std::nullopt;
      obj[name] = *el;
    }
    return obj;
  }
  if (IsType(n, "list") || IsType(n, "tuple")) {
    nlohmann::json arr = nlohmann::json::array();
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; ++i) {
      auto el = Literal(ts_node_named_child(n, i), depth + 1);
      if (!el) return std::nullopt;
      arr.push_back(*el);
    }
    return arr;
  }
  return std::nullopt;
}

}  // namespace call_site_extraction
}  // namespace ptlint
