// Calls: the MRO, class instantiation (__init__), project functions, closures, containers, roots.
#include "analyzer/python/prediction_interpreter.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {

const std::vector<ClassRef>& Interpreter::Mro(const ClassRef& ref) {
  static const std::vector<ClassRef> kNone;
  if (!ref.cls) return kNone;
  auto known = memo_.mros.find(ref.cls);
  if (known != memo_.mros.end()) return known->second;
  // Depth-first, left-to-right, de-duplicated: equal to C3 for the
  // single-inheritance chains that dominate model code.
  std::vector<ClassRef> out;
  std::set<const ClassInfo*> seen;
  std::function<void(const ClassRef&, int)> walk = [&](const ClassRef& r, int depth) {
    if (!r.cls || depth > 32 || seen.count(r.cls)) return;
    seen.insert(r.cls);
    out.push_back(r);
    const IndexedFile* file = FileOf(*r.index, r.cls);
    for (const auto& base : r.cls->base_texts) {
      const Symbol& s = file ? Resolve(*r.index, file->info.module_name, base) : ResolveAbsolute(*r.index, base);
      if (s.kind == Symbol::Kind::kClass && s.cls) {
        // torch's own Module/containers when torch is indexed: stop there.
        if (BuiltinModuleName(s.cls->qualified_name) == "Module") continue;
        walk({r.index, s.cls}, depth + 1);
      } else {
        std::string builtin = BuiltinModuleName(s.qualified_name);
        if (!builtin.empty() && builtin != "Module") {
          const ClassInfo* stub = catalog_.FindStub(builtin);
          if (stub) walk({&catalog_.stubs(), stub}, depth + 1);
        }
      }
    }
  };
  walk(ref, 0);
  return memo_.mros[ref.cls] = std::move(out);
}

const std::vector<TSNode>& Interpreter::NamedChildren(TSNode node) {
  auto [it, added] = memo_.named_children.try_emplace(PredictionMemo::Impl::NodeKey{node.id, node.tree, 0});
  if (added) it->second = ptlint::NamedChildren(node);
  return it->second;
}

TSNode Interpreter::FieldOfLiteral(TSNode node, const char* name) {
  if (ts_node_is_null(node)) return node;
  const TSLanguage* language = ts_tree_language(node.tree);
  struct Known {
    const char* name = nullptr;
    const TSLanguage* language = nullptr;
    TSFieldId id = 0;
  };
  thread_local Known known[256];  // direct-mapped by the literal's address; a few dozen names
  Known& k = known[(reinterpret_cast<uintptr_t>(name) * 0x9e3779b97f4a7c15ull) >> 56];
  if (k.name != name || k.language != language) k = {name, language, FieldId(language, name)};
  const TSFieldId id = k.id;
  if (id == 0) return TSNode{};
  using Entry = PredictionMemo::Impl::FieldEntry;
  std::vector<Entry>& table = memo_.fields;
  const PredictionMemo::Impl::NodeKey key{node.id, node.tree, id};
  auto slot_of = [](const std::vector<Entry>& t, const PredictionMemo::Impl::NodeKey& k) {
    // Node ids are addresses (low bits zero): mixed so the low bits spread.
    uint64_t x = reinterpret_cast<uintptr_t>(k.id) ^ (reinterpret_cast<uintptr_t>(k.tree) << 7) ^ k.field;
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    return static_cast<size_t>(x) & (t.size() - 1);
  };
  if (table.empty()) table.resize(size_t{1} << 12);
  for (size_t at = slot_of(table, key);; at = (at + 1) & (table.size() - 1)) {
    if (table[at].key == key) return table[at].child;
    if (table[at].key.id != nullptr) continue;
    const TSNode child = ts_node_child_by_field_id(node, id);
    if (2 * (memo_.fields_used + 1) <= table.size()) {
      table[at] = {key, child};
    } else {  // grow to keep probes short, then place every entry again
      std::vector<Entry> grown(table.size() * 2);
      for (const Entry& e : table) {
        if (e.key.id == nullptr) continue;
        size_t to = slot_of(grown, e.key);
        while (grown[to].key.id != nullptr) to = (to + 1) & (grown.size() - 1);
        grown[to] = e;
      }
      size_t to = slot_of(grown, key);
      while (grown[to].key.id != nullptr) to = (to + 1) & (grown.size() - 1);
      grown[to] = {key, child};
      table = std::move(grown);
    }
    ++memo_.fields_used;
    return child;
  }
}

bool Interpreter::PlainString(const Frame& f, TSNode node, std::string* out) {
  auto [it, added] = memo_.plain_strings.try_emplace(PredictionMemo::Impl::NodeKey{node.id, node.tree, 0});
  PredictionMemo::Impl::PlainString& known = it->second;
  if (added) {
    known.file = f.file;
    known.ok = StringLiteralValue(f.file->parsed, node, &known.value);
  } else if (known.file != f.file) {
    return StringLiteralValue(f.file->parsed, node, out);  // read in another file's text: not the remembered one
  }
  if (known.ok) *out = known.value;
  return known.ok;
}

namespace {

// A memo key's part that names an object by its address (the index, file
// or class it was asked about): the pointer's value, not the object's bytes.
void AppendAddress(std::string& key, const void* p) {
  const uintptr_t value = reinterpret_cast<uintptr_t>(p);
  key.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

}  // namespace

TSNode Interpreter::MethodNode(const IndexedFile& file, const ClassInfo* cls, const std::string& name) {
  std::string& key = method_key_;
  key.clear();
  AppendAddress(key, &file);
  AppendAddress(key, cls);
  key += name;
  auto it = memo_.method_nodes.find(key);
  if (it != memo_.method_nodes.end()) return it->second;
  TSNode def = FindMethodNode(file, cls, name);
  memo_.method_nodes.emplace(key, def);
  return def;
}

const Symbol& Interpreter::Resolve(const ModuleIndex& index, const std::string& module_name,
                                   const std::string& dotted) {
  std::string& key = symbol_key_;
  key.clear();
  AppendAddress(key, &index);
  key += module_name;
  key += '\0';
  key += dotted;
  auto it = memo_.symbols.find(key);
  if (it != memo_.symbols.end()) return it->second;
  return memo_.symbols[key] = index.Resolve(module_name, dotted);
}

const Symbol& Interpreter::ResolveAbsolute(const ModuleIndex& index, const std::string& dotted) {
  std::string& key = symbol_key_;
  key.clear();
  AppendAddress(key, &index);
  key += '\1';
  key += dotted;
  auto it = memo_.symbols.find(key);
  if (it != memo_.symbols.end()) return it->second;
  return memo_.symbols[key] = index.ResolveAbsolute(dotted);
}

std::pair<const ClassInfo*, const ModuleIndex*> Interpreter::FindMethod(const ClassRef& start,
                                                                        const std::string& name,
                                                                        bool skip_start,
                                                                        const ClassInfo* after) {
  const std::vector<ClassRef>& mro = Mro(start);
  bool passed = after == nullptr;
  for (size_t i = 0; i < mro.size(); ++i) {
    if (!passed) {
      if (mro[i].cls == after) passed = true;
      continue;
    }
    if (skip_start && i == 0) continue;
    for (const auto& m : mro[i].cls->methods) {
      if (m == name) return {mro[i].cls, mro[i].index};
    }
  }
  return {nullptr, nullptr};
}

bool Interpreter::IsModuleClass(const ClassRef& ref) {
  if (!ref.cls) return false;
  if (ref.index == &catalog_.stubs()) return true;
  return ref.index->Classify(*ref.cls).kind == ModuleKind::kModule;
}

// Finds method `name` in `cls` using the file's source.
TSNode FindMethodNode(const IndexedFile& file, const ClassInfo* cls, const std::string& name) {
  TSNode body = Field(cls->node, "body");
  uint32_t n = ts_node_named_child_count(body);
  TSNode found{};
  bool have = false;
  for (uint32_t i = 0; i < n; ++i) {
    TSNode stmt = ts_node_named_child(body, i);
    if (IsType(stmt, "decorated_definition")) stmt = Field(stmt, "definition");
    if (!IsType(stmt, "function_definition")) continue;
    if (file.parsed.Text(Field(stmt, "name")) == name) {
      found = stmt;  // the last definition wins, as in Python
      have = true;
    }
  }
  return have ? found : TSNode{};
}

V Interpreter::Instantiate(const ClassRef& ref, std::vector<V> args,
                           std::vector<std::pair<std::string, V>> kwargs, const SourceLocation& where,
                           int depth) {
  std::string memo_key;
  if (V known = MemoisedConstruction(ref, args, kwargs, where, depth, &memo_key)) return known;
  if (!memo_key.empty()) {
    const int64_t before = steps_;
    V made = Instantiate(ref, std::move(args), std::move(kwargs), where, depth, nullptr);
    if (made && made->kind == Value::Kind::kModule && made->module) {
      PredictionMemo::Impl::Builds& builds = *memo_.builds;
      builds.Store(builds.constructions, std::move(memo_key),
                   PredictionMemo::Impl::Layer{IsolatedCopy(made->module), steps_ - before});
    }
    return made;
  }
  return Instantiate(ref, std::move(args), std::move(kwargs), where, depth, nullptr);
}

V Interpreter::Instantiate(const ClassRef& ref, std::vector<V> args,
                           std::vector<std::pair<std::string, V>> kwargs, const SourceLocation& where,
                           int depth, std::nullptr_t) {
  auto inst = std::make_shared<Instance>();
  inst->cls = ref;
  inst->created = where;
  if (!loops_.empty() && loops_.back().path == where.path) inst->repeated_by = loops_.back();
  inst->type_name = ref.index == &catalog_.stubs() ? "torch.nn." + ref.cls->name : ref.cls->qualified_name;
  // _version and get_extra_state through the MRO.
  bool version_set = false;
  for (const auto& r : Mro(ref)) {
    if (!version_set && r.cls->version) {
      inst->version = *r.cls->version;
      version_set = true;
    }
    if (r.cls->overrides_get_extra_state) inst->extra_state = true;
  }
  // A subclass of a container: Sequential(...)-style __init__ arguments.
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = inst;
  if (depth > kMaxDepth) {
    inst->opens.push_back({"", "nesting deeper than " + std::to_string(kMaxDepth) + " modules", where});
    return value;
  }
  auto [init_cls, init_index] = FindMethod(ref, "__init__", false, nullptr);
  if (!init_cls) {
    // No __init__ in the project MRO: a built-in base's __init__ (container, layer).
    for (const auto& r : Mro(ref)) {
      const IndexedFile* file = FileOf(*r.index, r.cls);
      for (const auto& base : r.cls->base_texts) {
        const Symbol& s = file ? Resolve(*r.index, file->info.module_name, base) : ResolveAbsolute(*r.index, base);
        std::string builtin = BuiltinModuleName(s.qualified_name);
        if (builtin.empty() || builtin == "Module") continue;
        V made = CallBuiltinLayer(builtin, args, kwargs, where, depth + 1);
        if (made->kind == Value::Kind::kModule && made->module) {
          made->module->type_name = inst->type_name;
          made->module->cls = ref;
          if (version_set) made->module->version = inst->version;
          made->module->extra_state = made->module->extra_state || inst->extra_state;
        }
        return made;
      }
    }
    return value;
  }
  const IndexedFile* file = FileOf(*init_index, init_cls);
  if (!file) return value;
  TSNode def = MethodNode(*file, init_cls, "__init__");
  if (ts_node_is_null(def)) return value;
  // A call cut off by the nesting bounds inside this __init__ leaves the
  // instance half built (a layer never appended, a width unknown), with
  // nothing else to show for it: its keys are not all known. The note is
  // this instance's; the one that builds it is not affected.
  const int64_t hits_before = depth_limit_hits_;
  CallFunction(*init_index, def, file, std::move(args), std::move(kwargs), inst, value, {init_index, init_cls},
               ref.cls->qualified_name, depth + 1);
  if (depth_limit_hits_ != hits_before) {
    inst->opens.push_back({"", "its construction nests deeper than the predictor follows", where});
    depth_limit_hits_ = hits_before;
  }
  return value;
}

V Interpreter::CallFunction(const ModuleIndex& index, TSNode def, const IndexedFile* file, std::vector<V> args,
                            std::vector<std::pair<std::string, V>> kwargs, std::shared_ptr<Instance> self,
                            V self_value, ClassRef current_class, const std::string& owner, int depth,
                            const std::map<std::string, V>* closure) {
  Step();
  Frame f;
  if (closure) f.env = *closure;
  f.index = &index;
  f.file = file;
  f.self = std::move(self);
  f.self_value = self_value;
  f.current_class = current_class;
  f.owner = owner;
  if (depth > kMaxDepth) return TooDeep();
  // Bind parameters.
  TSNode params = Field(def, "parameters");
  size_t next_positional = 0;
  bool first = true;
  const bool is_method = f.self_value != nullptr;
  std::vector<V> positional = std::move(args);
  if (is_method) positional.insert(positional.begin(), f.self_value);
  std::set<std::string> used_kw;
  bool after_star = false;
  for (TSNode p : NamedChildren(params)) {
    const char* type = ts_node_type(p);
    std::string name;
    TSNode default_node{};
    bool has_default = false;
    if (std::strcmp(type, "identifier") == 0) {
      name = Text(f, p);
    } else if (std::strcmp(type, "default_parameter") == 0 || std::strcmp(type, "typed_default_parameter") == 0) {
      name = Text(f, Field(p, "name"));
      default_node = Field(p, "value");
      has_default = true;
    } else if (std::strcmp(type, "typed_parameter") == 0) {
      TSNode inner = ts_node_named_child(p, 0);
      if (IsType(inner, "list_splat_pattern") || IsType(inner, "dictionary_splat_pattern")) {
        p = inner;
        type = ts_node_type(p);
      } else {
        name = Text(f, inner);
      }
    } else if (std::strcmp(type, "keyword_separator") == 0) {
      after_star = true;
      continue;
    } else if (std::strcmp(type, "positional_separator") == 0) {
      continue;
    }
    if (std::strcmp(type, "list_splat_pattern") == 0) {
      std::string star = Text(f, ts_node_named_child(p, 0));
      std::vector<V> rest;
      while (next_positional < positional.size()) rest.push_back(positional[next_positional++]);
      f.env[star] = MakeSeq(std::move(rest), true);
      after_star = true;
      continue;
    }
    if (std::strcmp(type, "dictionary_splat_pattern") == 0) {
      std::string star = Text(f, ts_node_named_child(p, 0));
      auto d = std::make_shared<Value>();
      d->kind = Value::Kind::kDict;
      for (auto& [k, v] : kwargs) {
        if (!used_kw.count(k)) d->dict.push_back({k, v});
      }
      f.env[star] = d;
      continue;
    }
    if (name.empty()) continue;
    (void)first;
    V bound;
    if (!after_star && next_positional < positional.size()) {
      bound = positional[next_positional++];
    } else {
      for (auto& [k, v] : kwargs) {
        if (k == name) {
          bound = v;
          used_kw.insert(k);
        }
      }
    }
    if (!bound && has_default) bound = Eval(f, default_node, depth + 1);
    if (!bound) bound = MakeUnknown("argument `" + name + "` not given", true);
    f.env[name] = bound;
  }
  TSNode body = Field(def, "body");
  ExecBlock(f, body, depth + 1);
  return f.return_value ? f.return_value : MakeNone();
}

V Interpreter::EvalCall(Frame& f, TSNode node, int depth) {
  TSNode fn = Field(node, "function");
  V callee = Eval(f, fn, depth + 1);
  std::vector<V> args;
  std::vector<std::pair<std::string, V>> kwargs;
  bool open = false;
  size_t first_open = std::string::npos;
  EvalArgs(f, Field(node, "arguments"), depth, &args, &kwargs, &open, &first_open);
  if (open) {
    // `Sequential(*layers)` with an open list: the elements from the splat on
    // are a pattern (`blocks.*.weight`), never `blocks.0` alone.
    if (callee->kind == Value::Kind::kExternal) {
      std::string builtin = BuiltinModuleName(callee->str);
      if (builtin == "Sequential") {
        return MakeContainer(f, ContainerKind::kSequential, builtin, args, node,
                             first_open == std::string::npos ? 0 : first_open);
      }
      if (builtin == "ModuleList") {
        V made = MakeContainer(f, ContainerKind::kModuleList, builtin, args, node);
        if (made->module) made->module->open_children = true;
        return made;
      }
    }
    if (callee->kind == Value::Kind::kClass && IsModuleClass(callee->cls)) {
      V made = Instantiate(callee->cls, args, kwargs, Loc(f, node), depth + 1);
      return made;
    }
  }
  return CallValue(f, callee, std::move(args), std::move(kwargs), node, depth);
}

V Interpreter::CallValue(Frame& f, const V& callee, std::vector<V> args,
                         std::vector<std::pair<std::string, V>> kwargs, TSNode where, int depth) {
  Step();
  switch (callee->kind) {
    case Value::Kind::kClass:
      if (IsModuleClass(callee->cls)) return Instantiate(callee->cls, std::move(args), std::move(kwargs), Loc(f, where), depth + 1);
      if (callee->cls.index->Classify(*callee->cls.cls).kind == ModuleKind::kUnknown) {
        return MakeUnknown("instance of `" + callee->cls.cls->qualified_name + "`, whose bases could not be resolved", true);
      }
      return InstantiatePlainClass(callee->cls, std::move(args), std::move(kwargs), Loc(f, where), depth + 1);
    case Value::Kind::kPartial: {
      // functools.partial: the bound arguments first, call keywords override.
      std::vector<V> all = callee->items;
      all.insert(all.end(), args.begin(), args.end());
      std::vector<std::pair<std::string, V>> all_kw = callee->dict;
      for (auto& kv : kwargs) {
        bool replaced = false;
        for (auto& existing : all_kw) {
          if (existing.first == kv.first) {
            existing.second = kv.second;
            replaced = true;
          }
        }
        if (!replaced) all_kw.push_back(kv);
      }
      if (depth > kMaxDepth) return TooDeep();
      return CallValue(f, callee->target, std::move(all), std::move(all_kw), where, depth + 1);
    }
    case Value::Kind::kFunction: {
      const IndexedFile* file = callee->function_index->FindFile(callee->function->path);
      if (!file) return MakeUnknown("function source missing", true);
      return CallFunction(*callee->function_index, callee->function->node, file, std::move(args), std::move(kwargs),
                          nullptr, nullptr, {}, f.owner, depth + 1);
    }
    case Value::Kind::kExternal:
      return CallExternal(f, callee->str, args, kwargs, where, depth);
    case Value::Kind::kClosure: {
      if (depth > kMaxDepth) return TooDeep();
      if (IsType(callee->closure_node, "lambda")) {
        // lambda a, b=1: body  -- bind, then evaluate the one expression.
        Frame g;
        g.index = callee->closure_index;
        g.file = callee->closure_file;
        g.env = *callee->closure_env;
        g.self = f.self;
        g.self_value = f.self_value;
        g.owner = f.owner;
        TSNode params = Field(callee->closure_node, "parameters");
        size_t next = 0;
        for (TSNode p : NamedChildren(params)) {
          std::string pname;
          TSNode dflt{};
          if (IsType(p, "identifier")) pname = Text(g, p);
          else if (IsType(p, "default_parameter")) { pname = Text(g, Field(p, "name")); dflt = Field(p, "value"); }
          else return MakeUnknown("lambda with *args", true);
          V bound;
          if (next < args.size()) bound = args[next++];
          for (auto& [k, v] : kwargs) if (k == pname) bound = v;
          if (!bound && !ts_node_is_null(dflt)) bound = Eval(g, dflt, depth + 1);
          g.env[pname] = bound ? bound : MakeUnknown("lambda argument", true);
        }
        return Eval(g, Field(callee->closure_node, "body"), depth + 1);
      }
      return CallFunction(*callee->closure_index, callee->closure_node, callee->closure_file, std::move(args),
                          std::move(kwargs), nullptr, nullptr, {}, f.owner, depth + 1, callee->closure_env.get());
    }
    case Value::Kind::kMethod:
      return CallMethod(f, callee, args, kwargs, where, depth);
    default:
      break;
  }
  return MakeUnknown("call of `" + Text(f, Field(where, "function")) + "` not followed", true);
}

V Interpreter::MakeContainer(Frame& f, ContainerKind kind, const std::string& name, std::vector<V>& args,
                             TSNode where, size_t open_from) {
  auto inst = std::make_shared<Instance>();
  inst->container = kind;
  inst->type_name = "torch.nn." + name;
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = inst;
  SourceLocation loc = Loc(f, where);
  inst->created = loc;
  // `nn.Sequential(a, b, c)`: each positional argument's node, so an element
  // built elsewhere also records where it is placed (its index comes from
  // that position). Only when the call's arguments are exactly the elements
  // (no splat, no keyword, not a base-class `__init__` reached otherwise).
  std::vector<TSNode> arg_nodes;
  if (kind == ContainerKind::kSequential && !ts_node_is_null(where) && IsType(where, "call")) {
    TSNode arglist = Field(where, "arguments");
    if (!ts_node_is_null(arglist) && IsType(arglist, "argument_list")) {
      for (TSNode a : NamedChildren(arglist)) {
        if (IsType(a, "comment")) continue;
        if (IsType(a, "list_splat") || IsType(a, "dictionary_splat") || IsType(a, "keyword_argument")) {
          arg_nodes.clear();
          break;
        }
        arg_nodes.push_back(a);
      }
      if (arg_nodes.size() != args.size()) arg_nodes.clear();
    }
  }
  auto add_named = [&](const std::string& key, const V& item, bool pattern, size_t arg = std::string::npos) {
    Slot s;
    s.name = key;
    s.values = {item};
    s.pattern = pattern;
    s.optional = optional_depth_ > 0;
    s.owner = f.owner;
    s.location = loc;
    // An element built in the container's own file (`nn.Sequential(\n
    // nn.Linear(32, n),\n ...)`, `ModuleDict(dict(wpe=nn.Embedding(...)))`)
    // is located where it is built: that line is what an edit changes.
    if (item && item->kind == Value::Kind::kModule && item->module && item->module->created.line > 0 &&
        item->module->created.path == loc.path) {
      s.location = item->module->created;
      s.repeated_by = item->module->repeated_by;
    }
    if (arg < arg_nodes.size()) {
      TSNode a = arg_nodes[arg];
      TSPoint start = ts_node_start_point(a), end = ts_node_end_point(a);
      auto inside = [&](const SourceLocation& l) {
        if (l.path != loc.path || l.line == 0) return false;
        TSPoint p{l.line - 1, l.column - 1};
        auto before = [](TSPoint x, TSPoint y) { return x.row < y.row || (x.row == y.row && x.column < y.column); };
        return !before(p, start) && before(p, end);
      };
      if (!inside(s.location)) s.placed = Loc(f, a);
    }
    if (kind == ContainerKind::kParameterList || kind == ContainerKind::kParameterDict) {
      if (item->kind == Value::Kind::kTensor) item->is_parameter = true;
      inst->params.push_back(std::move(s));
    } else {
      inst->children.push_back(std::move(s));
    }
  };
  if (kind == ContainerKind::kSequential && args.size() == 1 && args[0]->kind == Value::Kind::kDict) {
    for (auto& [k, v] : args[0]->dict) add_named(k, v, false);
    if (args[0]->dict_open) inst->opens.push_back({"", "Sequential(OrderedDict) with entries not known", loc});
    return value;
  }
  if (kind == ContainerKind::kModuleDict || kind == ContainerKind::kParameterDict) {
    if (!args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) {
        for (auto& [k, v] : args[0]->dict) add_named(k, v, false);
        if (args[0]->dict_open) inst->opens.push_back({"", name + " with entries not known", loc});
      } else if (args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) {
        for (auto& pair : args[0]->items) {
          if (pair->kind == Value::Kind::kSeq && pair->items.size() == 2 && pair->items[0]->kind == Value::Kind::kStr) {
            add_named(pair->items[0]->str, pair->items[1], pair->items[0]->str_pattern);
          } else {
            inst->opens.push_back({"", name + " entry not understood", loc});
          }
        }
      } else if (args[0]->kind != Value::Kind::kNone) {
        inst->opens.push_back({"", name + " built from a value not understood", loc});
      }
    }
    return value;
  }
  std::vector<V> items;
  bool items_open = false;
  size_t exact_count = 0;  // with items_open: the leading items whose index is known
  if (kind == ContainerKind::kSequential) {
    items = args;
    if (open_from != std::string::npos) {
      items_open = true;
      exact_count = open_from;
    }
  } else if (!args.empty()) {
    if (args[0]->kind == Value::Kind::kSeq) {
      items = args[0]->items;
      items_open = args[0]->items_open;
    } else if (args[0]->kind == Value::Kind::kModule && args[0]->module &&
               args[0]->module->container != ContainerKind::kNone) {
      auto it = Iterate(args[0]);
      if (it) items = *it;
      else items_open = true;
    } else if (args[0]->kind != Value::Kind::kNone) {
      inst->opens.push_back({"", name + " built from a value not understood", loc});
      return value;
    }
  }
  if (items_open) {
    // Every element whose index is not known shares the one pattern slot:
    // `[stem] + [Block() for _ in range(n)]` holds stem's keys and Block's
    // under `*`, each optional, never only the first element's.
    inst->open_children = true;
    const size_t k = std::min(exact_count, items.size());
    for (size_t i = k; i < items.size(); ++i) {
      if (items[i] && items[i]->kind == Value::Kind::kUnknown) {
        inst->opens.push_back({"", name + " with elements not known", loc});
        break;
      }
    }
    for (size_t i = 0; i < k; ++i) add_named(std::to_string(i), items[i], false, i);
    if (items.size() > k) {
      add_named("*", items[k], true);
      auto& slots = (kind == ContainerKind::kParameterList) ? inst->params : inst->children;
      for (size_t i = k + 1; i < items.size(); ++i) {
        if (kind == ContainerKind::kParameterList && items[i]->kind == Value::Kind::kTensor) items[i]->is_parameter = true;
        slots.back().values.push_back(items[i]);
      }
    } else {
      inst->opens.push_back({"", name + " with elements not known", loc});
    }
    return value;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    add_named(std::to_string(i), items[i], false, kind == ContainerKind::kSequential ? i : std::string::npos);
  }
  return value;
}

void Interpreter::ContainerAppend(Instance& inst, const V& item, const SourceLocation& where, const std::string& owner) {
  Slot s;
  s.values = {item};
  s.owner = owner;
  s.location = where;
  if (!loops_.empty() && loops_.back().path == where.path) {
    s.repeated_by = loops_.back();
  } else if (item && item->kind == Value::Kind::kModule && item->module) {
    s.repeated_by = item->module->repeated_by;
  }
  s.optional = optional_depth_ > 0;
  if (pattern_depth_ > 0 || inst.open_children) {
    inst.open_children = true;
    s.name = "*";
    s.pattern = true;
  } else {
    s.name = std::to_string(inst.children.size() + inst.params.size());
  }
  if (inst.container == ContainerKind::kParameterList) {
    if (item->kind == Value::Kind::kTensor) item->is_parameter = true;
    inst.params.push_back(std::move(s));
  } else {
    inst.children.push_back(std::move(s));
  }
}

namespace {

// Appends an exact spelling of a plain argument (numbers as their whole
// expression tree with every leaf's value, strings, None, lists and tuples of
// those) to `key`; false for anything else (modules, tensors, dicts,
// unknowns), whose identity or later mutation a copy would not keep.
bool AppendExpr(const SymExpr& e, std::string& key, int depth) {
  if (depth > 16) return false;
  key += static_cast<char>('0' + static_cast<int>(e.kind()));
  key += e.name();
  if (e.kind() == SymExpr::Kind::kConst || e.kind() == SymExpr::Kind::kArg) {
    std::optional<PyNumber> v = e.Evaluate();
    key += '=';
    if (v) {
      key += v->ToString();
      key += static_cast<char>('0' + static_cast<int>(v->kind));
    } else {
      key += '?';
    }
  }
  key += '(';
  if (e.lhs() && !AppendExpr(*e.lhs(), key, depth + 1)) return false;
  key += ',';
  if (e.rhs() && !AppendExpr(*e.rhs(), key, depth + 1)) return false;
  key += ')';
  return true;
}

bool AppendPlainValue(const V& v, std::string& key, int depth) {
  if (!v || depth > 4) return false;
  switch (v->kind) {
    case Value::Kind::kNone: key += 'N'; return true;
    case Value::Kind::kNum: key += 'n'; return v->num && AppendExpr(*v->num, key, 0);
    case Value::Kind::kStr:
      key += v->str_pattern ? 'P' : 'S';
      key += std::to_string(v->str.size()) + ":" + v->str;
      return true;
    case Value::Kind::kSeq:
      if (v->items_open || v->items.size() > 16) return false;
      key += v->is_tuple ? "T[" : "L[";
      for (const V& item : v->items) {
        if (!AppendPlainValue(item, key, depth + 1)) return false;
        key += ',';
      }
      key += ']';
      return true;
    default: return false;
  }
}

// AppendPlainValue, and what a class's construction may also take by
// identity: classes, functions and names outside the project (`block`,
// `norm_layer=nn.BatchNorm2d`, `nn.ReLU`), and partials of those
// (`partial(nn.BatchNorm2d, eps=1e-3)`). Lists are refused: the __init__
// may change the caller's list, which a memoised copy would not do.
bool AppendConstructionArg(const V& v, std::string& key, int depth) {
  if (!v || depth > 4) return false;
  switch (v->kind) {
    case Value::Kind::kClass:
      key += 'C';
      key += std::to_string(reinterpret_cast<uintptr_t>(v->cls.index)) + "/" +
             std::to_string(reinterpret_cast<uintptr_t>(v->cls.cls));
      return v->cls.cls != nullptr;
    case Value::Kind::kFunction:
      key += 'F';
      key += std::to_string(reinterpret_cast<uintptr_t>(v->function_index)) + "/" +
             std::to_string(reinterpret_cast<uintptr_t>(v->function));
      return v->function != nullptr;
    case Value::Kind::kExternal:
      key += 'E';
      key += std::to_string(v->str.size()) + ":" + v->str;
      return true;
    case Value::Kind::kPartial: {
      key += "P(";
      if (!AppendConstructionArg(v->target, key, depth + 1)) return false;
      for (const V& item : v->items) {
        if (!AppendConstructionArg(item, key, depth + 1)) return false;
        key += ',';
      }
      for (const auto& [name, value] : v->dict) {
        key += name + "=";
        if (!AppendConstructionArg(value, key, depth + 1)) return false;
        key += ',';
      }
      key += ')';
      return true;
    }
    case Value::Kind::kSeq:
      if (!v->is_tuple || v->items_open || v->items.size() > 16) return false;
      key += "T[";
      for (const V& item : v->items) {
        if (!AppendConstructionArg(item, key, depth + 1)) return false;
        key += ',';
      }
      key += ']';
      return true;
    case Value::Kind::kNone:
    case Value::Kind::kNum:
    case Value::Kind::kStr:
      return AppendPlainValue(v, key, depth);
    default:
      return false;
  }
}

}  // namespace

V Interpreter::MemoisedConstruction(const ClassRef& ref, const std::vector<V>& args,
                                     const std::vector<std::pair<std::string, V>>& kwargs,
                                     const SourceLocation& where, int depth, std::string* key) {
  key->clear();
  // Catalogue layers have their own memo (CallBuiltinLayer).
  if (!options_.memoise_constructions || ref.cls == nullptr || ref.index == &catalog_.stubs() || depth > kMaxDepth) {
    return nullptr;
  }
  // What the __init__ sees of the interpreter besides its arguments: the
  // nesting depth (the bounds cut at absolute depths), an unknown branch or
  // loop around it (optional and pattern slots), the innermost loop (its
  // header is what repeats the modules built inside, as their
  // `repeated_by`), the unroll bound.
  std::string k = "K" + std::to_string(reinterpret_cast<uintptr_t>(ref.index)) + "/" +
                  std::to_string(reinterpret_cast<uintptr_t>(ref.cls)) + "|" + std::to_string(depth) +
                  (optional_depth_ > 0 ? "o" : "-") + (pattern_depth_ > 0 ? "p" : "-") +
                  std::to_string(options_.max_unroll) + "|";
  if (!loops_.empty()) {
    const SourceLocation& l = loops_.back();
    k += l.path + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
  }
  k += '|';
  for (const V& a : args) {
    if (!AppendConstructionArg(a, k, 0)) return nullptr;
    k += ';';
  }
  for (const auto& [name, v] : kwargs) {
    k += name + "=";
    if (!AppendConstructionArg(v, k, 0)) return nullptr;
    k += ';';
  }
  PredictionMemo::Impl::Builds& builds = *memo_.builds;
  const PredictionMemo::Impl::Layer hit = builds.Find(builds.constructions, k);
  if (!hit.instance) {
    *key = std::move(k);
    return nullptr;
  }
  // Counted as if interpreted again: the step budget runs out where it would have.
  steps_ += hit.steps;
  if (steps_ > options_.max_steps) {
    budget_exhausted_ = true;
    throw BudgetExceeded{};
  }
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = IsolatedCopy(hit.instance);
  value->module->created = where;
  value->module->repeated_by =
      !loops_.empty() && loops_.back().path == where.path ? loops_.back() : SourceLocation{};
  return value;
}

V Interpreter::CallBuiltinLayer(const std::string& name, std::vector<V> args,
                                std::vector<std::pair<std::string, V>> kwargs, const SourceLocation& where,
                                int depth) {
  const ClassInfo* stub = catalog_.FindStub(name);
  if (stub && options_.memo != nullptr && depth <= kMaxDepth / 2) {
    // The same layer with the same plain arguments builds the same instance,
    // wherever it is built: only where it was built (and the loop that
    // repeats it) differ, and those are the caller's. What the stub sees of
    // the interpreter's state is in the key too: an unknown branch or loop
    // around the call (optional and pattern slots) and the unroll bound.
    std::string key = name;
    key += optional_depth_ > 0 ? "|o" : "|-";
    key += pattern_depth_ > 0 ? "p" : "-";
    key += std::to_string(options_.max_unroll) + "|";
    bool plain = true;
    for (const V& a : args) plain = plain && AppendPlainValue(a, key, 0) && (key += ';', true);
    for (const auto& [k, v] : kwargs) plain = plain && (key += k + "=", true) && AppendPlainValue(v, key, 0) && (key += ';', true);
    if (plain) {
      PredictionMemo::Impl::Builds& builds = *options_.memo->impl().builds;
      const PredictionMemo::Impl::Layer hit = builds.Find(builds.layers, key);
      if (hit.instance) {
        // Counted as if interpreted again, so the step budget runs out
        // exactly where it would have.
        steps_ += hit.steps;
        if (steps_ > options_.max_steps) {
          budget_exhausted_ = true;
          throw BudgetExceeded{};
        }
        auto value = std::make_shared<Value>();
        value->kind = Value::Kind::kModule;
        value->module = IsolatedCopy(hit.instance);
        value->module->created = where;
        value->module->repeated_by =
            !loops_.empty() && loops_.back().path == where.path ? loops_.back() : SourceLocation{};
        return value;
      }
      const int64_t before = steps_;
      V made = Instantiate({&catalog_.stubs(), stub}, std::move(args), std::move(kwargs), where, depth);
      if (made && made->kind == Value::Kind::kModule && made->module) {
        builds.Store(builds.layers, std::move(key),
                     PredictionMemo::Impl::Layer{IsolatedCopy(made->module), steps_ - before});
      }
      return made;
    }
  }
  if (stub) return Instantiate({&catalog_.stubs(), stub}, std::move(args), std::move(kwargs), where, depth);
  auto inst = std::make_shared<Instance>();
  inst->type_name = "torch.nn." + name;
  inst->created = where;
  if (!loops_.empty() && loops_.back().path == where.path) inst->repeated_by = loops_.back();
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = inst;
  if (!catalog_.IsParameterless(name)) {
    inst->opens.push_back({"", "torch.nn." + name + " is not in ptlint's layer catalogue", where});
  }
  return value;
}

V Interpreter::CallRootFunction(const FunctionInfo& fn) {
  const IndexedFile* file = project_.FindFile(fn.path);
  if (!file) return MakeUnknown("function source missing");
  // Positional arguments keep the parameter's name for provenance ("from
  // `classes`"), as a class root's constructor arguments do.
  std::vector<std::string> names;
  {
    Frame g;
    g.index = &project_;
    g.file = file;
    TSNode params = Field(fn.node, "parameters");
    for (TSNode p : NamedChildren(params)) {
      if (IsType(p, "identifier")) {
        names.push_back(Text(g, p));
      } else if (IsType(p, "default_parameter") || IsType(p, "typed_default_parameter")) {
        names.push_back(Text(g, Field(p, "name")));
      } else if (IsType(p, "typed_parameter") && IsType(ts_node_named_child(p, 0), "identifier")) {
        names.push_back(Text(g, ts_node_named_child(p, 0)));
      } else {
        break;  // *args, **kwargs, `*` or `/`: no more plain positional names
      }
    }
  }
  std::vector<V> positional;
  std::vector<std::pair<std::string, V>> kwargs;
  for (int i = 0;; ++i) {
    auto it = options_.args.find(std::to_string(i));
    if (it == options_.args.end()) break;
    std::string name = static_cast<size_t>(i) < names.size() ? names[static_cast<size_t>(i)]
                                                              : "arg" + std::to_string(i);
    positional.push_back(RootArgument(it->second, name));
  }
  for (const auto& [k, v] : options_.args) {
    if (!k.empty() && !std::isdigit(static_cast<unsigned char>(k[0]))) kwargs.push_back({k, RootArgument(v, k)});
  }
  return CallFunction(project_, fn.node, file, std::move(positional), std::move(kwargs), nullptr, nullptr, {},
                      fn.qualified_name, 0);
}

V Interpreter::InstantiateRoot(const ClassRef& ref, ExpectedStateDict* out) {
  // Bind each __init__ parameter: a given argument, else its default, else a
  // symbolic argument. Numbers keep the argument's name for provenance.
  auto [init_cls, init_index] = FindMethod(ref, "__init__", false, nullptr);
  std::vector<V> positional;
  std::vector<std::pair<std::string, V>> kwargs;
  auto from_json = [this](const nlohmann::json& j, const std::string& name) { return RootArgument(j, name); };
  if (init_cls) {
    const IndexedFile* file = FileOf(*init_index, init_cls);
    TSNode def = file ? MethodNode(*file, init_cls, "__init__") : TSNode{};
    if (!ts_node_is_null(def)) {
      Frame g;
      g.index = init_index;
      g.file = file;
      TSNode params = Field(def, "parameters");
      int position = -1;  // self
      bool keyword_only = false;
      for (TSNode p : NamedChildren(params)) {
        std::string name, annotation;
        TSNode default_node{};
        // `*args: Any` / `**kwargs: Any`: the splat inside the annotation.
        if (IsType(p, "typed_parameter") && !IsType(ts_node_named_child(p, 0), "identifier")) {
          p = ts_node_named_child(p, 0);
        }
        if (IsType(p, "identifier")) name = Text(g, p);
        else if (IsType(p, "default_parameter")) { name = Text(g, Field(p, "name")); default_node = Field(p, "value"); }
        else if (IsType(p, "typed_default_parameter")) {
          name = Text(g, Field(p, "name"));
          default_node = Field(p, "value");
          annotation = Text(g, Field(p, "type"));
        } else if (IsType(p, "typed_parameter")) {
          TSNode inner = ts_node_named_child(p, 0);
          if (IsType(inner, "identifier")) {
            name = Text(g, inner);
            annotation = Text(g, Field(p, "type"));
          } else {
            keyword_only = true;
            continue;
          }
        } else if (IsType(p, "list_splat_pattern")) {
          // `def __init__(self, *args, **kwargs)` (torch's LSTM): the
          // remaining positional arguments go through as given.
          for (int k = std::max(0, position);; ++k) {
            auto it = options_.args.find(std::to_string(k));
            if (it == options_.args.end()) break;
            positional.push_back(from_json(it->second, "arg" + std::to_string(k)));
          }
          keyword_only = true;
          continue;
        } else if (IsType(p, "dictionary_splat_pattern")) {
          std::set<std::string> bound_names;
          for (auto& [k, _] : kwargs) bound_names.insert(k);
          for (const auto& [k, v] : options_.args) {
            if (!k.empty() && !std::isdigit(static_cast<unsigned char>(k[0])) && !bound_names.count(k)) {
              kwargs.push_back({k, from_json(v, k)});
            }
          }
          continue;
        } else if (IsType(p, "keyword_separator")) {
          keyword_only = true;
          continue;
        } else {
          continue;
        }
        ++position;
        if (position == 0) continue;  // self
        ConstructorParam cp;
        cp.name = name;
        cp.annotation = annotation;
        if (!ts_node_is_null(default_node)) cp.default_text = Text(g, default_node);
        V bound;
        auto given = options_.args.find(name);
        if (given == options_.args.end() && !keyword_only) given = options_.args.find(std::to_string(position - 1));
        if (given != options_.args.end()) {
          bound = from_json(given->second, name);
          cp.given = true;
        } else if (!ts_node_is_null(default_node)) {
          bound = Eval(g, default_node, 0);
          if (bound->kind == Value::Kind::kNum) {
            if (auto v = bound->num->Evaluate()) bound = MakeNum(SymExpr::Arg(name, *v));
          }
        } else {
          bound = MakeUnknown("constructor argument `" + name + "` has no default");
          bound->arg_name = name;
          // An annotation that names a module (or nothing at all) leaves room
          // for a module; plain types do not.
          bound->maybe_module = annotation.empty() || !PlainValueAnnotations().count(annotation);
        }
        out->params.push_back(cp);
        kwargs.push_back({name, bound});
      }
    }
  }
  return Instantiate(ref, std::move(positional), std::move(kwargs), SourceLocation{ref.cls->path, ref.cls->position.line, ref.cls->position.column}, 0);
}


V Interpreter::RootArgument(const nlohmann::json& j, const std::string& name) {
  if (!j.is_object()) return ValueFromJson(j, name);
  auto cls_entry = j.find("$class");
  if (cls_entry == j.end() || !cls_entry->is_string()) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    d->entries_are_attributes = true;
    for (auto it = j.begin(); it != j.end(); ++it) d->dict.push_back({it.key(), RootArgument(it.value(), name + "." + it.key())});
    return d;
  }
  const std::string class_name = cls_entry->get<std::string>();
  const ClassInfo* cls = project_.FindClass(class_name);
  if (!cls) return MakeUnknown("configuration class `" + class_name + "` is not in the project", true);
  std::vector<V> positional;
  std::vector<std::pair<std::string, V>> kwargs;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "$class") continue;
    if (it.key() == "$args" && it.value().is_array()) {
      for (size_t i = 0; i < it.value().size(); ++i) {
        positional.push_back(RootArgument(it.value()[i], name + "[" + std::to_string(i) + "]"));
      }
      continue;
    }
    kwargs.push_back({it.key(), RootArgument(it.value(), name + "." + it.key())});
  }
  Frame g;
  g.index = &project_;
  V callee = std::make_shared<Value>();
  callee->kind = Value::Kind::kClass;
  callee->cls = {&project_, cls};
  return CallValue(g, callee, std::move(positional), std::move(kwargs), TSNode{}, 1);
}


namespace {

// `@dataclass`, `@dataclasses.dataclass(frozen=True)`.
bool IsDataclass(const IndexedFile& file, const ClassInfo* cls) {
  TSNode parent = ts_node_parent(cls->node);
  if (!IsType(parent, "decorated_definition")) return false;
  uint32_t n = ts_node_named_child_count(parent);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(parent, i);
    if (IsType(c, "decorator") && file.parsed.Text(c).find("dataclass") != std::string_view::npos) return true;
  }
  return false;
}

bool IsNamedTupleBase(const std::string& base_text) {
  return base_text == "NamedTuple" || base_text == "typing.NamedTuple";
}

// A class-body assignment: `name = value`, `name: T = value`, `name: T`.
struct ClassBodyField {
  std::string name;
  std::string annotation;  // empty when not annotated
  TSNode value{};          // null when there is no value
};

std::vector<ClassBodyField> ClassBodyFields(const IndexedFile& file, const ClassInfo* cls) {
  std::vector<ClassBodyField> out;
  TSNode body = Field(cls->node, "body");
  uint32_t n = ts_node_is_null(body) ? 0 : ts_node_named_child_count(body);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode stmt = ts_node_named_child(body, i);
    if (!IsType(stmt, "expression_statement")) continue;
    TSNode a = ts_node_named_child(stmt, 0);
    if (!IsType(a, "assignment")) continue;
    TSNode left = Field(a, "left");
    if (!IsType(left, "identifier")) continue;
    ClassBodyField field;
    field.name = std::string(file.parsed.Text(left));
    TSNode type = Field(a, "type");
    if (!ts_node_is_null(type)) field.annotation = std::string(file.parsed.Text(type));
    field.value = Field(a, "right");
    out.push_back(std::move(field));
  }
  return out;
}

}  // namespace

V Interpreter::ClassAttribute(const ClassRef& ref, const std::string& name, int depth) {
  if (!ref.cls || depth > kMaxDepth * 4) return nullptr;
  for (const auto& r : Mro(ref)) {
    const IndexedFile* file = FileOf(*r.index, r.cls);
    if (!file || r.index == &catalog_.stubs()) continue;
    for (const auto& field : ClassBodyFields(*file, r.cls)) {
      if (field.name != name || ts_node_is_null(field.value)) continue;
      Frame g;
      g.index = r.index;
      g.file = file;
      return Eval(g, field.value, depth + 1);
    }
  }
  return nullptr;
}

V Interpreter::CallProperty(Frame& f, const V& obj, const std::string& name, int depth) {
  if (!obj->module || !obj->module->cls.cls) return nullptr;
  auto [cls, idx] = FindMethod(obj->module->cls, name, false, nullptr);
  if (!cls) return nullptr;
  const IndexedFile* file = FileOf(*idx, cls);
  TSNode def = file ? MethodNode(*file, cls, name) : TSNode{};
  if (ts_node_is_null(def)) return nullptr;
  TSNode parent = ts_node_parent(def);
  if (!IsType(parent, "decorated_definition") ||
      file->parsed.Text(parent).substr(0, ts_node_start_byte(def) - ts_node_start_byte(parent)).find("property") ==
          std::string_view::npos) {
    return nullptr;
  }
  return CallFunction(*idx, def, file, {}, {}, obj->module, obj, {idx, cls}, f.owner, depth + 1);
}

V Interpreter::InstantiatePlainClass(const ClassRef& ref, std::vector<V> args,
                                     std::vector<std::pair<std::string, V>> kwargs, const SourceLocation& where,
                                     int depth) {
  (void)where;
  if (depth > kMaxDepth) return TooDeep();
  V obj = MakeObject(ref.cls->qualified_name, ref);
  InitPlainObject(ref, obj, std::move(args), std::move(kwargs), depth);
  return obj;
}

bool Interpreter::GeneratesInit(const ClassRef& ref) {
  const IndexedFile* file = FileOf(*ref.index, ref.cls);
  if (file == nullptr || ref.index == &catalog_.stubs()) return false;
  if (IsDataclass(*file, ref.cls)) return true;
  for (const auto& b : ref.cls->base_texts) {
    if (IsNamedTupleBase(b)) return true;
  }
  return false;
}

void Interpreter::InitPlainObject(const ClassRef& ref, const V& self_value, std::vector<V> args,
                                  std::vector<std::pair<std::string, V>> kwargs, int depth) {
  // Python runs the first __init__ along the MRO: one the source writes, or
  // the one @dataclass / NamedTuple generates (`class Config(_Config)` with
  // its own __init__ that ends in super().__init__(...), as torchvision's
  // MBConvConfig does, runs its own first).
  const std::vector<ClassRef>& mro = Mro(ref);
  for (const ClassRef& r : mro) {
    const IndexedFile* file = FileOf(*r.index, r.cls);
    TSNode def = file != nullptr && std::find(r.cls->methods.begin(), r.cls->methods.end(), "__init__") !=
                                        r.cls->methods.end()
                     ? MethodNode(*file, r.cls, "__init__")
                     : TSNode{};
    if (!ts_node_is_null(def)) {
      CallFunction(*r.index, def, file, std::move(args), std::move(kwargs), self_value->module, self_value, r,
                   ref.cls->qualified_name, depth + 1);
      return;
    }
    if (GeneratesInit(r)) {
      BindGeneratedInit(r, self_value, std::move(args), std::move(kwargs), depth);
      return;
    }
  }
}

void Interpreter::BindGeneratedInit(const ClassRef& ref, const V& self_value, std::vector<V> args,
                                    std::vector<std::pair<std::string, V>> kwargs, int depth) {
  const std::vector<ClassRef>& mro = Mro(ref);
  bool dataclass = false;
  for (const auto& r : mro) {
    const IndexedFile* file = FileOf(*r.index, r.cls);
    if (file && r.index != &catalog_.stubs() && IsDataclass(*file, r.cls)) dataclass = true;
  }
  // Fields in definition order, bases first; a redefinition keeps its place.
  struct Field_ {
    std::string name;
    ClassRef owner;
    TSNode value;
  };
  std::vector<Field_> fields;
  for (auto it = mro.rbegin(); it != mro.rend(); ++it) {
    const IndexedFile* file = FileOf(*it->index, it->cls);
    if (!file || it->index == &catalog_.stubs()) continue;
    for (const auto& field : ClassBodyFields(*file, it->cls)) {
      if (field.annotation.empty() || field.annotation.find("ClassVar") != std::string::npos) continue;
      bool found = false;
      for (auto& existing : fields) {
        if (existing.name == field.name) {
          existing = {field.name, *it, field.value};
          found = true;
        }
      }
      if (!found) fields.push_back({field.name, *it, field.value});
    }
  }
  size_t next = 0;
  for (const auto& field : fields) {
    V bound;
    if (next < args.size()) bound = args[next++];
    for (auto& [k, v] : kwargs) {
      if (k == field.name) bound = v;
    }
    if (!bound && !ts_node_is_null(field.value)) {
      Frame g;
      g.index = field.owner.index;
      g.file = FileOf(*field.owner.index, field.owner.cls);
      bound = Eval(g, field.value, depth + 1);
    }
    if (!bound) bound = MakeUnknown("field `" + field.name + "` of " + ref.cls->name + " is not given", true);
    self_value->module->attrs[field.name] = bound;
  }
  if (dataclass) {
    auto [post_cls, post_index] = FindMethod(ref, "__post_init__", false, nullptr);
    const IndexedFile* file = post_cls ? FileOf(*post_index, post_cls) : nullptr;
    TSNode def = file ? MethodNode(*file, post_cls, "__post_init__") : TSNode{};
    if (!ts_node_is_null(def)) {
      CallFunction(*post_index, def, file, {}, {}, self_value->module, self_value, {post_index, post_cls},
                   ref.cls->qualified_name, depth + 1);
    }
  }
}

}  // namespace ptlint::prediction
