#include "analyzer/python/state_dict_prediction.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "analyzer/python/layer_catalog.h"
#include "analyzer/python/symbolic_expr.h"

namespace ptlint {

// ---------------------------------------------------------------------------
// Public helpers

bool PredictedShape::Concrete() const {
  if (!rank_known) return false;
  for (const auto& d : dims) {
    if (!d.value) return false;
  }
  return true;
}

std::string PredictedShape::ToString() const {
  if (!rank_known) return "?";
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    if (dims[i].value) s += std::to_string(*dims[i].value);
    else s += dims[i].expr.empty() ? "?" : dims[i].expr;
  }
  if (dims.size() == 1) s += ",";
  return s + ")";
}

const char* KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kParameter: return "parameter";
    case KeyKind::kBuffer: return "buffer";
    case KeyKind::kExtraState: return "extra_state";
  }
  return "?";
}

const char* ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kExact: return "exact";
    case Confidence::kPartial: return "partial";
    case Confidence::kOpen: return "open";
  }
  return "?";
}

namespace {

// ---------------------------------------------------------------------------
// Abstract values

struct Value;
using V = std::shared_ptr<Value>;
struct Instance;

struct ClassRef {
  const ModuleIndex* index = nullptr;
  const ClassInfo* cls = nullptr;
};

struct Value {
  enum class Kind {
    kUnknown,   // not understood; `reason` says why
    kNone,
    kNum,       // int/float/bool, maybe symbolic
    kStr,       // maybe a pattern (contains '*' for unknown parts)
    kSeq,       // list or tuple
    kDict,      // string-keyed dict (OrderedDict, literal)
    kModule,    // an nn.Module instance
    kTensor,    // a tensor or Parameter
    kClass,     // a project (or stub) class
    kFunction,  // a project function
    kExternal,  // a name outside the project (torch.zeros, math.sqrt, range)
    kMethod,    // a bound method: `target.name`
    kSuper,     // super()
    kClosure,   // a lambda or a function defined inside a function
  };
  Kind kind = Kind::kUnknown;
  std::string reason;       // kUnknown
  std::string arg_name;     // kUnknown: an unbound constructor argument
  bool maybe_module = false;  // kUnknown: could be a module (so `self.x = v` is open)
  SymExprPtr num;           // kNum
  std::string str;          // kStr; kExternal/kMethod: name
  bool str_pattern = false; // kStr contains '*' wildcards
  bool is_tuple = false;    // kSeq
  std::vector<V> items;     // kSeq
  bool items_open = false;  // kSeq: unknown length; items[0] (if any) is a representative element
  std::vector<std::pair<std::string, V>> dict;  // kDict
  bool dict_open = false;
  std::shared_ptr<Instance> module;  // kModule
  bool is_parameter = false;         // kTensor
  bool rank_known = false;           // kTensor
  std::vector<SymExprPtr> shape;     // kTensor
  ClassRef cls;                      // kClass, kSuper (the class whose MRO continues)
  const FunctionInfo* function = nullptr;  // kFunction
  const ModuleIndex* function_index = nullptr;
  V target;                          // kMethod: the receiver
  // kClosure: the lambda / function_definition node, where it was defined,
  // and the variables it captured (by value at definition time).
  TSNode closure_node{};
  const ModuleIndex* closure_index = nullptr;
  const IndexedFile* closure_file = nullptr;
  std::shared_ptr<std::map<std::string, V>> closure_env;
};

V MakeUnknown(std::string reason, bool maybe_module = false) {
  auto v = std::make_shared<Value>();
  v->reason = std::move(reason);
  v->maybe_module = maybe_module;
  return v;
}
V MakeNone() {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kNone;
  return v;
}
V MakeNum(SymExprPtr e) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kNum;
  v->num = std::move(e);
  return v;
}
V MakeInt(int64_t i) { return MakeNum(SymExpr::Int(i)); }
V MakeBool(bool b) { return MakeNum(SymExpr::Const(PyNumber::Bool(b))); }
V MakeStr(std::string s, bool pattern = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kStr;
  v->str = std::move(s);
  v->str_pattern = pattern;
  return v;
}
V MakeSeq(std::vector<V> items, bool is_tuple, bool open = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kSeq;
  v->items = std::move(items);
  v->is_tuple = is_tuple;
  v->items_open = open;
  return v;
}
V MakeExternal(std::string name) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kExternal;
  v->str = std::move(name);
  return v;
}
V MakeTensor(bool rank_known, std::vector<SymExprPtr> shape, bool parameter = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kTensor;
  v->rank_known = rank_known;
  v->shape = std::move(shape);
  v->is_parameter = parameter;
  return v;
}
V MakeMethod(V target, std::string name) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kMethod;
  v->target = std::move(target);
  v->str = std::move(name);
  return v;
}

// ---------------------------------------------------------------------------
// Module instances: torch's _parameters / _buffers / _modules, in order.

struct Slot {
  std::string name;
  std::vector<V> values;  // alternatives (branches); None = reserved
  bool persistent = true;
  bool optional = false;
  bool pattern = false;   // name contains '*'
  std::string owner;
  SourceLocation location;
};

struct OpenNote {
  std::string prefix;  // relative to this module ("x." or "")
  std::string reason;
  SourceLocation location;
};

enum class ContainerKind { kNone, kSequential, kModuleList, kModuleDict, kParameterList, kParameterDict };

struct Instance {
  std::string type_name;  // qualified class name shown to users
  ClassRef cls;           // project/stub class (null for containers and parameter-less layers)
  ContainerKind container = ContainerKind::kNone;
  int64_t version = 1;
  bool extra_state = false;
  std::vector<Slot> params, buffers, children;
  std::map<std::string, V> attrs;
  std::vector<OpenNote> opens;
  bool open_children = false;  // a container whose length is unknown (children named "*")
};

Slot* FindSlot(std::vector<Slot>& slots, const std::string& name) {
  for (auto& s : slots) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::shared_ptr<Instance> CloneInstance(const Instance& src, int depth = 0);

V CloneValue(const V& v, int depth) {
  if (!v || depth > 64) return v;
  if (v->kind == Value::Kind::kModule && v->module) {
    auto c = std::make_shared<Value>(*v);
    c->module = CloneInstance(*v->module, depth + 1);
    return c;
  }
  if (v->kind == Value::Kind::kTensor) return std::make_shared<Value>(*v);
  return v;
}

std::shared_ptr<Instance> CloneInstance(const Instance& src, int depth) {
  auto out = std::make_shared<Instance>(src);
  for (auto* list : {&out->params, &out->buffers, &out->children}) {
    for (auto& slot : *list) {
      for (auto& value : slot.values) value = CloneValue(value, depth);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The interpreter

struct Frame {
  const ModuleIndex* index = nullptr;
  const IndexedFile* file = nullptr;
  std::map<std::string, V> env;
  std::shared_ptr<Instance> self;
  V self_value;
  ClassRef current_class;  // the class whose method this is (for super())
  V return_value;
  bool returned = false;
  std::string owner;  // class name credited with registrations
};

struct BudgetExceeded {};

V ValueFromJson(const nlohmann::json& j, const std::string& name);

class Interpreter {
 public:
  Interpreter(const ModuleIndex& project, const PredictOptions& options)
      : project_(project), catalog_(LayerCatalog::Get()), options_(options) {}

  bool budget_exhausted() const { return budget_exhausted_; }

  // Instantiates `ref` with call arguments, running __init__ (through the MRO).
  V Instantiate(const ClassRef& ref, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
                const SourceLocation& where, int depth);

  // Binds root arguments: from JSON or symbolic.
  V InstantiateRoot(const ClassRef& ref, ExpectedStateDict* out);
  // A factory function called with the JSON arguments (`wav2vec2_base()`).
  V CallRootFunction(const FunctionInfo& fn);

  // A torch.nn built-in called with these arguments.
  V CallBuiltinLayer(const std::string& name, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
                     const SourceLocation& where, int depth);

 private:
  // Statements
  void ExecBlock(Frame& f, TSNode block, int depth);
  void ExecStatement(Frame& f, TSNode stmt, int depth);
  void ExecIf(Frame& f, TSNode stmt, int depth);
  void ExecFor(Frame& f, TSNode stmt, int depth);
  void Assign(Frame& f, TSNode target, const V& value, int depth);
  void AssignName(Frame& f, const std::string& name, const V& value);
  void SetModuleAttr(Frame& f, Instance& inst, const std::string& name, const V& value, TSNode where,
                     bool name_is_pattern);
  void ImportInFunction(Frame& f, TSNode stmt);

  // Expressions
  V Eval(Frame& f, TSNode node, int depth);
  V EvalIdentifier(Frame& f, const std::string& name, int depth);
  V EvalAttribute(Frame& f, TSNode node, int depth);
  V EvalCall(Frame& f, TSNode node, int depth);
  V EvalBinary(Frame& f, const std::string& op, const V& a, const V& b);
  V EvalComparison(Frame& f, TSNode node, int depth);
  V EvalString(Frame& f, TSNode node, int depth);
  V EvalComprehension(Frame& f, TSNode node, int depth, bool is_dict);
  V EvalSubscript(Frame& f, TSNode node, int depth);
  V ResolveSymbol(const ModuleIndex& index, const Symbol& s, int depth);
  void EvalArgs(Frame& f, TSNode arglist, int depth, std::vector<V>* args,
                std::vector<std::pair<std::string, V>>* kwargs, bool* open);

  V CallValue(Frame& f, const V& callee, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
              TSNode where, int depth);
  V CallExternal(Frame& f, const std::string& name, std::vector<V>& args,
                 std::vector<std::pair<std::string, V>>& kwargs, TSNode where, int depth);
  V CallMethod(Frame& f, const V& method, std::vector<V>& args, std::vector<std::pair<std::string, V>>& kwargs,
               TSNode where, int depth);
  V CallFunction(const ModuleIndex& index, TSNode def, const IndexedFile* file, std::vector<V> args,
                 std::vector<std::pair<std::string, V>> kwargs, std::shared_ptr<Instance> self, V self_value,
                 ClassRef current_class, const std::string& owner, int depth,
                 const std::map<std::string, V>* closure = nullptr);
  V MakeContainer(Frame& f, ContainerKind kind, const std::string& name, std::vector<V>& args, TSNode where);
  void ContainerAppend(Instance& inst, const V& item, const SourceLocation& where, const std::string& owner);

  // Helpers
  std::optional<bool> Truth(const V& v);
  SymExprPtr AsExpr(const V& v, const std::string& text);
  std::optional<std::vector<V>> Iterate(const V& v);
  std::optional<int64_t> AsInt(const V& v);
  bool IsModuleClass(const ClassRef& ref);
  std::pair<const ClassInfo*, const ModuleIndex*> FindMethod(const ClassRef& start, const std::string& name,
                                                             bool skip_start, const ClassInfo* after);
  std::vector<ClassRef> Mro(const ClassRef& ref);
  const IndexedFile* FileOf(const ModuleIndex& index, const ClassInfo* cls);
  SourceLocation Loc(const Frame& f, TSNode node);
  std::string Text(const Frame& f, TSNode node) const {
    return f.file ? std::string(f.file->parsed.Text(node)) : std::string();
  }
  void Step() {
    if (++steps_ > options_.max_steps) {
      budget_exhausted_ = true;
      throw BudgetExceeded{};
    }
  }
  void NoteOpen(Frame& f, const std::string& prefix, const std::string& reason, TSNode where) {
    if (f.self) f.self->opens.push_back({prefix, reason, Loc(f, where)});
  }

  const ModuleIndex& project_;
  const LayerCatalog& catalog_;
  const PredictOptions& options_;
  int64_t steps_ = 0;
  bool budget_exhausted_ = false;
  int optional_depth_ = 0;  // inside a branch whose condition is unknown
  int pattern_depth_ = 0;   // inside a loop whose trip count is unknown
};

constexpr int kMaxDepth = 40;

SourceLocation Interpreter::Loc(const Frame& f, TSNode node) {
  SourceLocation loc;
  if (f.file) loc.path = f.file->info.path;
  if (!ts_node_is_null(node)) {
    SourcePosition p = PositionOf(node);
    loc.line = p.line;
    loc.column = p.column;
  }
  return loc;
}

const IndexedFile* Interpreter::FileOf(const ModuleIndex& index, const ClassInfo* cls) {
  return cls ? index.FindFile(cls->path) : nullptr;
}

std::optional<bool> Interpreter::Truth(const V& v) {
  switch (v->kind) {
    case Value::Kind::kNone: return false;
    case Value::Kind::kNum: {
      auto n = v->num->Evaluate();
      if (n) return n->Truthy();
      return std::nullopt;
    }
    case Value::Kind::kStr: return v->str_pattern ? std::optional<bool>() : std::optional<bool>(!v->str.empty());
    case Value::Kind::kSeq:
      if (v->items_open) return std::nullopt;
      return !v->items.empty();
    case Value::Kind::kDict:
      if (v->dict_open) return std::nullopt;
      return !v->dict.empty();
    case Value::Kind::kModule:
    case Value::Kind::kClass:
    case Value::Kind::kFunction:
    case Value::Kind::kTensor:  // ambiguous for tensors in torch, but never a branch we need
      return v->kind == Value::Kind::kTensor ? std::optional<bool>() : std::optional<bool>(true);
    default: return std::nullopt;
  }
}

SymExprPtr Interpreter::AsExpr(const V& v, const std::string& text) {
  if (v->kind == Value::Kind::kNum) return v->num;
  if (v->kind == Value::Kind::kUnknown && !v->arg_name.empty()) return SymExpr::Arg(v->arg_name, std::nullopt);
  return SymExpr::Unknown(text.empty() ? "?" : text);
}

std::optional<int64_t> Interpreter::AsInt(const V& v) {
  if (v->kind != Value::Kind::kNum) return std::nullopt;
  auto n = v->num->Evaluate();
  if (!n || !n->IsIntegral()) return std::nullopt;
  return n->i;
}

std::optional<std::vector<V>> Interpreter::Iterate(const V& v) {
  if (v->kind == Value::Kind::kSeq && !v->items_open) return v->items;
  if (v->kind == Value::Kind::kDict && !v->dict_open) {
    std::vector<V> keys;
    for (auto& [k, _] : v->dict) keys.push_back(MakeStr(k));
    return keys;
  }
  if (v->kind == Value::Kind::kStr && !v->str_pattern) {
    std::vector<V> chars;
    for (char c : v->str) chars.push_back(MakeStr(std::string(1, c)));
    return chars;
  }
  if (v->kind == Value::Kind::kModule && v->module && v->module->container != ContainerKind::kNone &&
      !v->module->open_children) {
    std::vector<V> out;
    for (auto& slot : v->module->children) {
      if (!slot.values.empty()) out.push_back(slot.values.back());
    }
    return out;
  }
  return std::nullopt;
}

std::vector<ClassRef> Interpreter::Mro(const ClassRef& ref) {
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
      Symbol s = file ? r.index->Resolve(file->info.module_name, base) : r.index->ResolveAbsolute(base);
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
  return out;
}

std::pair<const ClassInfo*, const ModuleIndex*> Interpreter::FindMethod(const ClassRef& start,
                                                                        const std::string& name,
                                                                        bool skip_start,
                                                                        const ClassInfo* after) {
  std::vector<ClassRef> mro = Mro(start);
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
  auto inst = std::make_shared<Instance>();
  inst->cls = ref;
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
        Symbol s = file ? r.index->Resolve(file->info.module_name, base) : r.index->ResolveAbsolute(base);
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
  TSNode def = FindMethodNode(*file, init_cls, "__init__");
  if (ts_node_is_null(def)) return value;
  CallFunction(*init_index, def, file, std::move(args), std::move(kwargs), inst, value, {init_index, init_cls},
               ref.cls->qualified_name, depth + 1);
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
  if (depth > kMaxDepth) return MakeUnknown("call nesting too deep", true);
  // Bind parameters.
  TSNode params = Field(def, "parameters");
  uint32_t n = ts_node_named_child_count(params);
  size_t next_positional = 0;
  bool first = true;
  const bool is_method = f.self_value != nullptr;
  std::vector<V> positional = std::move(args);
  if (is_method) positional.insert(positional.begin(), f.self_value);
  std::set<std::string> used_kw;
  bool after_star = false;
  for (uint32_t i = 0; i < n; ++i) {
    TSNode p = ts_node_named_child(params, i);
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

void Interpreter::ExecBlock(Frame& f, TSNode block, int depth) {
  uint32_t n = ts_node_named_child_count(block);
  for (uint32_t i = 0; i < n && !f.returned; ++i) ExecStatement(f, ts_node_named_child(block, i), depth);
}

void Interpreter::ExecStatement(Frame& f, TSNode stmt, int depth) {
  Step();
  const char* type = ts_node_type(stmt);
  if (std::strcmp(type, "expression_statement") == 0) {
    uint32_t n = ts_node_named_child_count(stmt);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode e = ts_node_named_child(stmt, i);
      if (IsType(e, "assignment")) {
        // a = b = value: the right side may be another assignment.
        std::vector<TSNode> targets;
        TSNode cur = e;
        while (IsType(cur, "assignment")) {
          targets.push_back(Field(cur, "left"));
          TSNode right = Field(cur, "right");
          if (ts_node_is_null(right)) {  // annotation only: `x: int`
            cur = TSNode{};
            break;
          }
          cur = right;
        }
        if (ts_node_is_null(cur)) continue;
        V value = Eval(f, cur, depth + 1);
        for (TSNode t : targets) Assign(f, t, value, depth + 1);
      } else if (IsType(e, "augmented_assignment")) {
        TSNode left = Field(e, "left");
        V current = Eval(f, left, depth + 1);
        V rhs = Eval(f, Field(e, "right"), depth + 1);
        std::string op = Text(f, Field(e, "operator"));
        if (!op.empty() && op.back() == '=') op.pop_back();
        // `layers += [...]` mutates the list in place.
        if (op == "+" && current->kind == Value::Kind::kSeq && !current->is_tuple) {
          if (rhs->kind == Value::Kind::kSeq) {
            if (rhs->items_open || pattern_depth_ > 0) current->items_open = true;
            for (auto& it : rhs->items) current->items.push_back(it);
          } else {
            current->items_open = true;
          }
          continue;
        }
        Assign(f, left, EvalBinary(f, op, current, rhs), depth + 1);
      } else {
        Eval(f, e, depth + 1);
      }
    }
  } else if (std::strcmp(type, "if_statement") == 0) {
    ExecIf(f, stmt, depth);
  } else if (std::strcmp(type, "for_statement") == 0) {
    ExecFor(f, stmt, depth);
  } else if (std::strcmp(type, "while_statement") == 0) {
    // Trip count unknown: one pass, names become patterns, keys optional.
    ++pattern_depth_;
    ++optional_depth_;
    ExecBlock(f, Field(stmt, "body"), depth + 1);
    --optional_depth_;
    --pattern_depth_;
    f.returned = false;
  } else if (std::strcmp(type, "with_statement") == 0) {
    ExecBlock(f, Field(stmt, "body"), depth + 1);
  } else if (std::strcmp(type, "try_statement") == 0) {
    ExecBlock(f, Field(stmt, "body"), depth + 1);
    uint32_t n = ts_node_named_child_count(stmt);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(stmt, i);
      if (IsType(c, "else_clause") || IsType(c, "finally_clause")) {
        TSNode body = Field(c, "body");
        if (ts_node_is_null(body)) body = ts_node_named_child(c, ts_node_named_child_count(c) - 1);
        ExecBlock(f, body, depth + 1);
      }
    }
  } else if (std::strcmp(type, "return_statement") == 0) {
    TSNode value = ts_node_named_child(stmt, 0);
    f.return_value = ts_node_is_null(value) ? MakeNone() : Eval(f, value, depth + 1);
    if (optional_depth_ == 0) f.returned = true;
  } else if (std::strcmp(type, "raise_statement") == 0) {
    if (optional_depth_ == 0) f.returned = true;  // the path ends; nothing after it registers
  } else if (std::strcmp(type, "import_statement") == 0 || std::strcmp(type, "import_from_statement") == 0) {
    ImportInFunction(f, stmt);
  } else if (std::strcmp(type, "function_definition") == 0 || std::strcmp(type, "class_definition") == 0 ||
             std::strcmp(type, "decorated_definition") == 0) {
    TSNode def = IsType(stmt, "decorated_definition") ? Field(stmt, "definition") : stmt;
    if (IsType(def, "function_definition") && !IsType(stmt, "decorated_definition")) {
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kClosure;
      v->closure_node = def;
      v->closure_index = f.index;
      v->closure_file = f.file;
      v->closure_env = std::make_shared<std::map<std::string, V>>(f.env);
      f.env[Text(f, Field(def, "name"))] = v;
    } else {
      f.env[Text(f, Field(def, "name"))] = MakeUnknown("local definition `" + Text(f, Field(def, "name")) + "`", true);
    }
  } else if (std::strcmp(type, "delete_statement") == 0) {
    NoteOpen(f, "", "`del` in the constructor is not followed", stmt);
  }
  // pass, assert, global, nonlocal, comments, print: no effect on the state dict.
}

void Interpreter::ImportInFunction(Frame& f, TSNode stmt) {
  if (!f.file) return;
  // Re-use the index's import extraction logic on a scratch file copy.
  IndexedFile scratch;
  scratch.info = f.file->info;
  // Only the bindings matter: resolve each imported name now.
  if (IsType(stmt, "import_statement")) {
    uint32_t n = ts_node_named_child_count(stmt);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(stmt, i);
      if (IsType(c, "aliased_import")) {
        f.env[Text(f, Field(c, "alias"))] = MakeExternal(Text(f, Field(c, "name")));
      } else {
        std::string dotted = Text(f, c);
        f.env[dotted.substr(0, dotted.find('.'))] = MakeExternal(dotted.substr(0, dotted.find('.')));
      }
    }
    return;
  }
  TSNode module_node = Field(stmt, "module_name");
  std::string base;
  if (IsType(module_node, "relative_import")) {
    int dots = 0;
    std::string rel;
    uint32_t n = ts_node_named_child_count(module_node);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(module_node, i);
      if (IsType(c, "import_prefix")) {
        for (char ch : Text(f, c)) dots += ch == '.';
      } else {
        rel = Text(f, c);
      }
    }
    base = ResolveRelativeModule(f.file->info.module_name, f.file->info.is_package, dots, rel);
  } else {
    base = Text(f, module_node);
  }
  uint32_t n = ts_node_named_child_count(stmt);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(stmt, i);
    if (ts_node_eq(c, module_node)) continue;
    std::string name, local;
    if (IsType(c, "aliased_import")) {
      name = Text(f, Field(c, "name"));
      local = Text(f, Field(c, "alias"));
    } else if (IsType(c, "dotted_name")) {
      name = local = Text(f, c);
    } else {
      continue;
    }
    Symbol s = f.index->ResolveAbsolute(base + "." + name);
    f.env[local] = ResolveSymbol(*f.index, s, 0);
  }
}

void Interpreter::ExecIf(Frame& f, TSNode stmt, int depth) {
  // Collect (condition, body) arms: if, elif..., else.
  std::vector<std::pair<TSNode, TSNode>> arms;
  arms.push_back({Field(stmt, "condition"), Field(stmt, "consequence")});
  uint32_t n = ts_node_named_child_count(stmt);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(stmt, i);
    if (IsType(c, "elif_clause")) arms.push_back({Field(c, "condition"), Field(c, "consequence")});
    if (IsType(c, "else_clause")) arms.push_back({TSNode{}, Field(c, "body")});
  }
  // Walk arms while conditions are known; from the first unknown one, every
  // remaining arm is an alternative.
  size_t i = 0;
  for (; i < arms.size(); ++i) {
    if (ts_node_is_null(arms[i].first)) {
      ExecBlock(f, arms[i].second, depth + 1);
      return;
    }
    auto truth = Truth(Eval(f, arms[i].first, depth + 1));
    if (!truth) break;
    if (*truth) {
      ExecBlock(f, arms[i].second, depth + 1);
      return;
    }
  }
  if (i == arms.size()) return;
  // Alternatives: run each on the same instance (registrations become
  // optional), restoring local variables in between and merging after.
  std::map<std::string, V> before = f.env;
  std::map<std::string, V> self_attrs_before = f.self ? f.self->attrs : std::map<std::string, V>{};
  std::vector<std::map<std::string, V>> envs, attrs;
  bool has_else = false;
  ++optional_depth_;
  for (; i < arms.size(); ++i) {
    f.env = before;
    if (f.self) f.self->attrs = self_attrs_before;
    if (ts_node_is_null(arms[i].first)) has_else = true;
    else Eval(f, arms[i].first, depth + 1);
    ExecBlock(f, arms[i].second, depth + 1);
    envs.push_back(f.env);
    if (f.self) attrs.push_back(f.self->attrs);
  }
  --optional_depth_;
  if (!has_else) {
    envs.push_back(before);
    attrs.push_back(self_attrs_before);
  }
  auto merge = [](std::vector<std::map<std::string, V>>& maps) {
    std::map<std::string, V> merged;
    std::set<std::string> names;
    for (auto& m : maps) for (auto& [k, _] : m) names.insert(k);
    for (const auto& name : names) {
      V first;
      bool same = true;
      bool present_everywhere = true;
      for (auto& m : maps) {
        auto it = m.find(name);
        if (it == m.end()) {
          present_everywhere = false;
          continue;
        }
        if (!first) first = it->second;
        else if (first != it->second) {
          // Equal constants are the same value.
          bool eq = first->kind == Value::Kind::kNum && it->second->kind == Value::Kind::kNum &&
                    first->num->Evaluate() && it->second->num->Evaluate() &&
                    first->num->Evaluate()->AsDouble() == it->second->num->Evaluate()->AsDouble();
          eq = eq || (first->kind == Value::Kind::kNone && it->second->kind == Value::Kind::kNone);
          eq = eq || (first->kind == Value::Kind::kStr && it->second->kind == Value::Kind::kStr &&
                      first->str == it->second->str && !first->str_pattern);
          if (!eq) same = false;
        }
      }
      if (same && present_everywhere) merged[name] = first;
      else {
        V u = MakeUnknown("`" + name + "` differs between branches", true);
        merged[name] = u;
      }
    }
    return merged;
  };
  f.env = merge(envs);
  if (f.self) f.self->attrs = merge(attrs);
  f.returned = false;
}

void Interpreter::ExecFor(Frame& f, TSNode stmt, int depth) {
  TSNode left = Field(stmt, "left");
  V iterable = Eval(f, Field(stmt, "right"), depth + 1);
  auto items = Iterate(iterable);
  if (items && static_cast<int64_t>(items->size()) <= options_.max_unroll) {
    for (auto& item : *items) {
      Assign(f, left, item, depth + 1);
      ExecBlock(f, Field(stmt, "body"), depth + 1);
      if (f.returned) return;
    }
    return;
  }
  // Unknown trip count: one symbolic pass. Names built from the loop
  // variable become patterns; list appends make open lists.
  V element = MakeUnknown("loop variable of a loop whose length is unknown", true);
  if (iterable->kind == Value::Kind::kSeq && !iterable->items.empty()) element = iterable->items.front();
  Assign(f, left, element, depth + 1);
  ++pattern_depth_;
  ++optional_depth_;
  ExecBlock(f, Field(stmt, "body"), depth + 1);
  --optional_depth_;
  --pattern_depth_;
  f.returned = false;
}

void Interpreter::Assign(Frame& f, TSNode target, const V& value, int depth) {
  Step();
  const char* type = ts_node_type(target);
  if (std::strcmp(type, "identifier") == 0) {
    AssignName(f, Text(f, target), value);
  } else if (std::strcmp(type, "pattern_list") == 0 || std::strcmp(type, "tuple_pattern") == 0 ||
             std::strcmp(type, "list_pattern") == 0 || std::strcmp(type, "tuple") == 0 ||
             std::strcmp(type, "list") == 0) {
    uint32_t n = ts_node_named_child_count(target);
    auto items = Iterate(value);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode t = ts_node_named_child(target, i);
      if (items && items->size() == n) Assign(f, t, (*items)[i], depth);
      else Assign(f, t, MakeUnknown("unpacking of an unknown value", value->kind == Value::Kind::kUnknown), depth);
    }
  } else if (std::strcmp(type, "attribute") == 0) {
    TSNode object = Field(target, "object");
    std::string attr = Text(f, Field(target, "attribute"));
    V obj = Eval(f, object, depth);
    if (obj->kind == Value::Kind::kModule && obj->module) {
      SetModuleAttr(f, *obj->module, attr, value, target, false);
    }
  } else if (std::strcmp(type, "subscript") == 0) {
    V obj = Eval(f, Field(target, "value"), depth);
    V key = Eval(f, Field(target, "subscript"), depth);
    if (obj->kind == Value::Kind::kDict) {
      if (key->kind == Value::Kind::kStr && !key->str_pattern) {
        // Inside a branch whose condition is unknown the dict object is shared
        // by both alternatives: the entry becomes unknown, not overwritten.
        const bool uncertain = optional_depth_ > 0;
        for (auto& kv : obj->dict) {
          if (kv.first == key->str) {
            kv.second = uncertain && kv.second != value ? MakeUnknown("`" + key->str + "` set in a branch", true) : value;
            return;
          }
        }
        obj->dict.push_back({key->str, uncertain ? MakeUnknown("`" + key->str + "` set in a branch", true) : value});
        if (uncertain) obj->dict_open = true;
      } else {
        obj->dict_open = true;
      }
    } else if (obj->kind == Value::Kind::kModule && obj->module &&
               obj->module->container == ContainerKind::kModuleDict) {
      if (key->kind == Value::Kind::kStr) SetModuleAttr(f, *obj->module, key->str, value, target, key->str_pattern);
      else NoteOpen(f, "", "ModuleDict entry with a key that is not known", target);
    } else if (obj->kind == Value::Kind::kSeq) {
      auto idx = AsInt(key);
      if (idx && !obj->items_open) {
        int64_t i = *idx < 0 ? *idx + static_cast<int64_t>(obj->items.size()) : *idx;
        if (i >= 0 && i < static_cast<int64_t>(obj->items.size())) obj->items[i] = value;
      } else {
        obj->items_open = true;
      }
    }
  }
}

void Interpreter::AssignName(Frame& f, const std::string& name, const V& value) { f.env[name] = value; }

// Module.__setattr__ (torch 1.13), plus the open/optional/pattern bookkeeping.
void Interpreter::SetModuleAttr(Frame& f, Instance& inst, const std::string& name, const V& value, TSNode where,
                                bool name_is_pattern) {
  SourceLocation loc = Loc(f, where);
  const bool optional = optional_depth_ > 0;
  const bool pattern = name_is_pattern || name.find('*') != std::string::npos;
  auto upsert = [&](std::vector<Slot>& slots, const V& v, bool persistent) {
    Slot* slot = FindSlot(slots, name);
    if (slot) {
      // Reassignment keeps the first position. Outside branches it replaces
      // the value; inside, it adds an alternative.
      if (optional || pattern) {
        // Alternatives (branches), or several names folded into one pattern:
        // Flatten keeps a shape only if all of them agree.
        slot->values.push_back(v);
        if (optional) slot->optional = true;
      } else {
        slot->values = {v};
        slot->location = loc;
        slot->owner = f.owner;
      }
      slot->persistent = persistent;
      return;
    }
    Slot s;
    s.name = name;
    s.values = {v};
    s.persistent = persistent;
    s.optional = optional;
    s.pattern = pattern;
    s.owner = f.owner;
    s.location = loc;
    slots.push_back(std::move(s));
  };
  auto remove_from = [&](std::vector<Slot>& slots) {
    if (optional) return;  // the other branch may keep it
    slots.erase(std::remove_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == name; }),
                slots.end());
  };
  switch (value->kind) {
    case Value::Kind::kTensor:
      if (value->is_parameter) {
        remove_from(inst.buffers);
        remove_from(inst.children);
        inst.attrs.erase(name);
        upsert(inst.params, value, true);
        return;
      }
      if (Slot* b = FindSlot(inst.buffers, name)) {
        (void)b;
        upsert(inst.buffers, value, FindSlot(inst.buffers, name)->persistent);
        return;
      }
      if (FindSlot(inst.params, name)) {
        // torch raises TypeError: assigning a plain tensor to a parameter slot.
        NoteOpen(f, name + ".", "a plain tensor is assigned to parameter `" + name + "` (torch raises)", where);
        return;
      }
      inst.attrs[name] = value;  // a plain tensor attribute: not in the state dict
      return;
    case Value::Kind::kModule:
      remove_from(inst.params);
      remove_from(inst.buffers);
      inst.attrs.erase(name);
      upsert(inst.children, value, true);
      return;
    case Value::Kind::kNone:
      if (FindSlot(inst.params, name)) { upsert(inst.params, value, true); return; }
      if (Slot* b = FindSlot(inst.buffers, name)) { upsert(inst.buffers, value, b->persistent); return; }
      if (FindSlot(inst.children, name)) { upsert(inst.children, value, true); return; }
      inst.attrs[name] = value;  // `self.x = None` reservation: a plain attribute
      return;
    case Value::Kind::kUnknown:
      if (value->maybe_module) {
        // Could be a module (or a Parameter): the subtree under `name` is open.
        // The name itself may also become a parameter key.
        inst.opens.push_back({name + (pattern ? "" : "."), value->reason.empty() ? "value not understood" : value->reason, loc});
        inst.opens.back().reason = "`self." + name + "` is assigned a value that may be a module: " + inst.opens.back().reason;
      }
      inst.attrs[name] = value;
      return;
    default:
      inst.attrs[name] = value;
      return;
  }
}

// ---------------------------------------------------------------------------
// Expressions

V Interpreter::ResolveSymbol(const ModuleIndex& index, const Symbol& s, int depth) {
  switch (s.kind) {
    case Symbol::Kind::kClass: {
      // torch's Parameter classes, when torch itself is indexed: tensors.
      if (s.qualified_name.rfind("torch.nn.parameter.", 0) == 0) return MakeExternal(s.qualified_name);
      // torch's own classes when torch is indexed: use the catalogue.
      std::string builtin = BuiltinModuleName(s.qualified_name);
      if (!builtin.empty() && options_.prefer_catalog && &index != &catalog_.stubs()) {
        return MakeExternal("torch.nn." + builtin);
      }
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kClass;
      v->cls = {&index, s.cls};
      return v;
    }
    case Symbol::Kind::kFunction: {
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kFunction;
      v->function = s.function;
      v->function_index = &index;
      return v;
    }
    case Symbol::Kind::kAssignment: {
      if (depth > 8 || !s.file) return MakeUnknown("module-level value " + s.qualified_name, true);
      Frame g;
      g.index = &index;
      g.file = s.file;
      return Eval(g, s.assignment, depth + 1);
    }
    case Symbol::Kind::kModule:
      return MakeExternal(s.qualified_name);
    case Symbol::Kind::kExternal:
      return MakeExternal(s.qualified_name);
    case Symbol::Kind::kUnresolved:
      return MakeUnknown("`" + s.qualified_name + "` could not be resolved in the project", true);
  }
  return MakeUnknown("?", true);
}

V Interpreter::EvalIdentifier(Frame& f, const std::string& name, int depth) {
  auto it = f.env.find(name);
  if (it != f.env.end()) return it->second;
  if (f.file) {
    Symbol s = f.index->Resolve(f.file->info.module_name, name);
    if (s.kind != Symbol::Kind::kUnresolved) return ResolveSymbol(*f.index, s, depth);
  }
  static const std::set<std::string> kBuiltins = {
      "range", "len", "int", "float", "bool", "str", "min", "max", "abs", "round", "isinstance", "tuple",
      "list", "dict", "enumerate", "zip", "sum", "setattr", "getattr", "hasattr", "super", "reversed",
      "sorted", "print", "type", "any", "all", "map", "filter", "iter", "next", "object", "set"};
  if (kBuiltins.count(name)) return MakeExternal("builtins." + name);
  return MakeUnknown("`" + name + "` is not defined or not understood", true);
}

V Interpreter::EvalAttribute(Frame& f, TSNode node, int depth) {
  V obj = Eval(f, Field(node, "object"), depth + 1);
  std::string attr = Text(f, Field(node, "attribute"));
  switch (obj->kind) {
    case Value::Kind::kModule: {
      Instance& inst = *obj->module;
      if (Slot* s = FindSlot(inst.params, attr)) return s->values.back();
      if (Slot* s = FindSlot(inst.buffers, attr)) return s->values.back();
      if (Slot* s = FindSlot(inst.children, attr)) return s->values.back();
      auto a = inst.attrs.find(attr);
      if (a != inst.attrs.end()) return a->second;
      // A method of the instance (self._make_layer) or a class attribute.
      return MakeMethod(obj, attr);
    }
    case Value::Kind::kExternal: {
      // `components._get_encoder` where `components` is a project module.
      std::string dotted = obj->str + "." + attr;
      Symbol s = f.index->ResolveAbsolute(dotted);
      if (s.kind == Symbol::Kind::kClass || s.kind == Symbol::Kind::kFunction ||
          s.kind == Symbol::Kind::kAssignment) {
        return ResolveSymbol(*f.index, s, depth);
      }
      return MakeExternal(dotted);
    }
    case Value::Kind::kSuper:
      return MakeMethod(obj, attr);
    case Value::Kind::kClass: {
      // Class attribute or unbound method: `Base.__init__` or a constant.
      return MakeMethod(obj, attr);
    }
    case Value::Kind::kSeq:
    case Value::Kind::kDict:
    case Value::Kind::kStr:
      return MakeMethod(obj, attr);
    case Value::Kind::kTensor:
      if (attr == "shape") {
        if (obj->rank_known) {
          std::vector<V> dims;
          for (auto& d : obj->shape) dims.push_back(MakeNum(d));
          return MakeSeq(std::move(dims), true);
        }
        return MakeUnknown("shape of a tensor with unknown rank");
      }
      if (attr == "data" || attr == "T") return attr == "data" ? obj : MakeUnknown("tensor.T");
      return MakeMethod(obj, attr);
    default:
      break;
  }
  return MakeUnknown("attribute `" + Text(f, node) + "` not understood", obj->maybe_module);
}

V Interpreter::EvalString(Frame& f, TSNode node, int depth) {
  if (IsType(node, "concatenated_string")) {
    std::string all;
    bool pattern = false;
    uint32_t n = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < n; ++i) {
      V part = EvalString(f, ts_node_named_child(node, i), depth);
      if (part->kind != Value::Kind::kStr) return MakeUnknown("string");
      all += part->str;
      pattern = pattern || part->str_pattern;
    }
    return MakeStr(all, pattern);
  }
  std::string plain;
  if (f.file && StringLiteralValue(f.file->parsed, node, &plain)) return MakeStr(plain);
  // An f-string: evaluate the interpolations; unknown parts become '*'.
  std::string out;
  bool pattern = false;
  uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(node, i);
    if (IsType(c, "string_content")) {
      out += Text(f, c);
    } else if (IsType(c, "interpolation")) {
      TSNode expr = Field(c, "expression");
      if (ts_node_is_null(expr)) expr = ts_node_named_child(c, 0);
      bool has_format = !ts_node_is_null(Field(c, "format_specifier")) || !ts_node_is_null(Field(c, "type_conversion"));
      V v = Eval(f, expr, depth + 1);
      std::optional<int64_t> iv = AsInt(v);
      if (has_format) {
        out += "*";
        pattern = true;
      } else if (v->kind == Value::Kind::kStr) {
        out += v->str;
        pattern = pattern || v->str_pattern;
      } else if (iv && v->num->Evaluate()->kind == PyNumber::Kind::kInt) {
        out += std::to_string(*iv);
      } else {
        out += "*";
        pattern = true;
      }
    }
  }
  return MakeStr(out, pattern);
}

V Interpreter::EvalComparison(Frame& f, TSNode node, int depth) {
  // a < b < c chains: operands are the named children, operators the
  // anonymous ones between them.
  std::vector<V> operands;
  std::vector<std::string> ops;
  uint32_t n = ts_node_child_count(node);
  std::string pending;
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_child(node, i);
    if (ts_node_is_named(c)) {
      if (!pending.empty()) {
        ops.push_back(pending);
        pending.clear();
      }
      operands.push_back(Eval(f, c, depth + 1));
    } else {
      std::string t = Text(f, c);
      pending = pending.empty() ? t : pending + " " + t;
    }
  }
  if (operands.size() != ops.size() + 1 || ops.empty()) return MakeUnknown("comparison");
  V result;
  for (size_t i = 0; i < ops.size(); ++i) {
    const V& a = operands[i];
    const V& b = operands[i + 1];
    const std::string& op = ops[i];
    V r;
    if (op == "is" || op == "is not" || ((op == "==" || op == "!=") &&
                                          (a->kind == Value::Kind::kNone || b->kind == Value::Kind::kNone))) {
      bool negate = op == "is not" || op == "!=";
      std::optional<bool> same;
      if (a->kind == Value::Kind::kNone && b->kind == Value::Kind::kNone) same = true;
      else if (a->kind == Value::Kind::kNum && b->kind == Value::Kind::kNum) {
        // `flag is True`: identical only for the same bool (or small int) value.
        auto x = a->num->Evaluate(), y = b->num->Evaluate();
        if (x && y) same = x->kind == y->kind && x->AsDouble() == y->AsDouble();
      } else if (a->kind != b->kind && a->kind != Value::Kind::kUnknown && b->kind != Value::Kind::kUnknown) {
        same = false;
      }
      else if ((a->kind == Value::Kind::kNone && b->kind != Value::Kind::kUnknown) ||
               (b->kind == Value::Kind::kNone && a->kind != Value::Kind::kUnknown)) same = false;
      if (same) r = MakeBool(*same != negate);
      else r = MakeUnknown("identity comparison with an unknown value");
    } else if ((op == "==" || op == "!=") && a->kind == Value::Kind::kStr && b->kind == Value::Kind::kStr) {
      if (a->str_pattern || b->str_pattern) r = MakeUnknown("comparison of an unknown string");
      else r = MakeBool((a->str == b->str) != (op == "!="));
    } else if (op == "in" || op == "not in") {
      auto items = Iterate(b);
      if (items && (a->kind == Value::Kind::kStr || a->kind == Value::Kind::kNum)) {
        std::optional<bool> found = false;
        for (auto& it : *items) {
          if (a->kind == Value::Kind::kStr && it->kind == Value::Kind::kStr && !a->str_pattern) {
            if (it->str == a->str) found = true;
          } else if (a->kind == Value::Kind::kNum && it->kind == Value::Kind::kNum) {
            auto x = a->num->Evaluate(), y = it->num->Evaluate();
            if (x && y) { if (x->AsDouble() == y->AsDouble()) found = true; }
            else found = std::nullopt;
          } else {
            found = std::nullopt;
          }
          if (found && *found) break;
        }
        if (found) r = MakeBool(*found != (op == "not in"));
        else r = MakeUnknown("membership test");
      } else {
        r = MakeUnknown("membership test");
      }
    } else if (a->kind == Value::Kind::kNum || b->kind == Value::Kind::kNum ||
               (!a->arg_name.empty() || !b->arg_name.empty())) {
      std::string sym = op;
      static const std::set<std::string> kOps = {"==", "!=", "<", "<=", ">", ">="};
      if (!kOps.count(sym)) r = MakeUnknown("comparison");
      else r = MakeNum(SymExpr::Binary(sym, AsExpr(a, "?"), AsExpr(b, "?")));
    } else {
      r = MakeUnknown("comparison");
    }
    if (!result) result = r;
    else result = EvalBinary(f, "and", result, r);
  }
  return result;
}

V Interpreter::EvalBinary(Frame& f, const std::string& op, const V& a, const V& b) {
  if (op == "and" || op == "or") {
    auto ta = Truth(a);
    if (ta) {
      if (op == "and") return *ta ? b : a;
      return *ta ? a : b;
    }
    if (a->kind == Value::Kind::kNum && b->kind == Value::Kind::kNum) return MakeNum(SymExpr::Binary(op, a->num, b->num));
    return MakeUnknown("boolean operation on unknown values", a->maybe_module || b->maybe_module);
  }
  if (a->kind == Value::Kind::kSeq && b->kind == Value::Kind::kSeq && op == "+") {
    std::vector<V> items = a->items;
    items.insert(items.end(), b->items.begin(), b->items.end());
    return MakeSeq(std::move(items), a->is_tuple, a->items_open || b->items_open);
  }
  if ((a->kind == Value::Kind::kSeq && b->kind == Value::Kind::kNum) ||
      (b->kind == Value::Kind::kSeq && a->kind == Value::Kind::kNum)) {
    if (op == "*") {
      const V& seq = a->kind == Value::Kind::kSeq ? a : b;
      const V& times = a->kind == Value::Kind::kSeq ? b : a;
      auto k = AsInt(times);
      if (k && *k >= 0 && *k * static_cast<int64_t>(seq->items.size()) <= options_.max_unroll && !seq->items_open) {
        std::vector<V> items;
        for (int64_t i = 0; i < *k; ++i) items.insert(items.end(), seq->items.begin(), seq->items.end());
        return MakeSeq(std::move(items), seq->is_tuple);
      }
      return MakeSeq(seq->items.empty() ? std::vector<V>{} : std::vector<V>{seq->items.front()}, seq->is_tuple, true);
    }
  }
  if (a->kind == Value::Kind::kStr && b->kind == Value::Kind::kStr && op == "+") {
    return MakeStr(a->str + b->str, a->str_pattern || b->str_pattern);
  }
  if (a->kind == Value::Kind::kStr && op == "%") return MakeStr("*", true);
  const bool a_num = a->kind == Value::Kind::kNum || !a->arg_name.empty();
  const bool b_num = b->kind == Value::Kind::kNum || !b->arg_name.empty();
  if (a_num && b_num) {
    static const std::set<std::string> kOps = {"+", "-", "*", "/", "//", "%", "**"};
    if (kOps.count(op)) return MakeNum(SymExpr::Binary(op, AsExpr(a, "?"), AsExpr(b, "?")));
  }
  if ((a_num && b->kind == Value::Kind::kUnknown) || (b_num && a->kind == Value::Kind::kUnknown)) {
    return MakeNum(SymExpr::Binary(op, AsExpr(a, a->reason), AsExpr(b, b->reason)));
  }
  return MakeUnknown("operation `" + op + "` on values not understood");
}

V Interpreter::EvalSubscript(Frame& f, TSNode node, int depth) {
  V obj = Eval(f, Field(node, "value"), depth + 1);
  TSNode sub = Field(node, "subscript");
  if (IsType(sub, "slice")) {
    if (obj->kind == Value::Kind::kSeq && !obj->items_open) {
      // seq[a:b] with known bounds.
      std::vector<std::optional<int64_t>> parts;
      std::vector<TSNode> kids;
      uint32_t n = ts_node_child_count(sub);
      int slot = 0;
      std::optional<int64_t> bounds[3];
      bool known[3] = {false, false, false};
      bool ok = true;
      for (uint32_t i = 0; i < n; ++i) {
        TSNode c = ts_node_child(sub, i);
        if (!ts_node_is_named(c)) { ++slot; continue; }
        if (slot > 2) { ok = false; break; }
        bounds[slot] = AsInt(Eval(f, c, depth + 1));
        known[slot] = true;
        if (!bounds[slot]) ok = false;
      }
      if (ok && (!known[2] || (bounds[2] && *bounds[2] == 1))) {
        int64_t size = static_cast<int64_t>(obj->items.size());
        int64_t lo = known[0] ? *bounds[0] : 0, hi = known[1] ? *bounds[1] : size;
        if (lo < 0) lo += size;
        if (hi < 0) hi += size;
        lo = std::clamp<int64_t>(lo, 0, size);
        hi = std::clamp<int64_t>(hi, 0, size);
        std::vector<V> items;
        for (int64_t i = lo; i < hi; ++i) items.push_back(obj->items[i]);
        return MakeSeq(std::move(items), obj->is_tuple);
      }
    }
    return MakeUnknown("slice not understood", obj->maybe_module || obj->kind == Value::Kind::kModule);
  }
  V key = Eval(f, sub, depth + 1);
  if (obj->kind == Value::Kind::kSeq) {
    auto idx = AsInt(key);
    if (idx && !obj->items_open) {
      int64_t size = static_cast<int64_t>(obj->items.size());
      int64_t i = *idx < 0 ? *idx + size : *idx;
      if (i >= 0 && i < size) return obj->items[i];
    }
    if (!obj->items.empty()) {
      // Element of a list with unknown length/index: same shape as its representative.
      bool all_same_kind = true;
      for (auto& it : obj->items) all_same_kind = all_same_kind && it->kind == obj->items.front()->kind;
      if (obj->items.size() == 1 || (all_same_kind && obj->items.front()->kind != Value::Kind::kModule)) {
        if (obj->items.front()->kind == Value::Kind::kNum) return MakeNum(SymExpr::Unknown(Text(f, node)));
      }
    }
    return MakeUnknown("`" + Text(f, node) + "`: index not known", true);
  }
  if (obj->kind == Value::Kind::kDict) {
    if (key->kind == Value::Kind::kStr && !key->str_pattern) {
      for (auto& [k, v] : obj->dict) {
        if (k == key->str) return v;
      }
    }
    return MakeUnknown("`" + Text(f, node) + "`: key not known", true);
  }
  if (obj->kind == Value::Kind::kModule && obj->module && obj->module->container != ContainerKind::kNone) {
    auto& children = obj->module->children;
    auto idx = AsInt(key);
    if (idx && !obj->module->open_children) {
      int64_t size = static_cast<int64_t>(children.size());
      int64_t i = *idx < 0 ? *idx + size : *idx;
      if (i >= 0 && i < size && !children[i].values.empty()) return children[i].values.back();
    }
    if (key->kind == Value::Kind::kStr) {
      if (Slot* s = FindSlot(children, key->str)) return s->values.back();
    }
    return MakeUnknown("`" + Text(f, node) + "`: element not known", true);
  }
  if (obj->kind == Value::Kind::kExternal) return MakeExternal(obj->str + "[]");  // typing: List[int]
  return MakeUnknown("subscript `" + Text(f, node) + "` not understood", obj->maybe_module);
}

V Interpreter::EvalComprehension(Frame& f, TSNode node, int depth, bool is_dict) {
  // [body for a in X if c for b in Y ...]: unroll when every iterable is known.
  std::vector<TSNode> clauses;
  uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_named_child(node, i);
    if (IsType(c, "for_in_clause") || IsType(c, "if_clause")) clauses.push_back(c);
  }
  TSNode body = Field(node, "body");
  std::vector<V> items;
  std::vector<std::pair<std::string, V>> dict;
  bool open = false;
  int64_t produced = 0;
  std::map<std::string, V> saved = f.env;
  std::function<void(size_t)> run = [&](size_t k) {
    if (k == clauses.size()) {
      if (++produced > options_.max_unroll) {
        open = true;
        return;
      }
      if (is_dict) {
        V key = Eval(f, Field(body, "key"), depth + 1);
        V value = Eval(f, Field(body, "value"), depth + 1);
        if (key->kind == Value::Kind::kStr && !key->str_pattern) dict.push_back({key->str, value});
        else open = true;
      } else {
        items.push_back(Eval(f, body, depth + 1));
      }
      return;
    }
    TSNode c = clauses[k];
    if (IsType(c, "if_clause")) {
      auto t = Truth(Eval(f, ts_node_named_child(c, 0), depth + 1));
      if (!t) {
        open = true;
        run(k + 1);
        return;
      }
      if (*t) run(k + 1);
      return;
    }
    V iterable = Eval(f, Field(c, "right"), depth + 1);
    auto elems = Iterate(iterable);
    if (!elems || static_cast<int64_t>(elems->size()) > options_.max_unroll) {
      open = true;
      ++pattern_depth_;
      Assign(f, Field(c, "left"), iterable->kind == Value::Kind::kSeq && !iterable->items.empty()
                                      ? iterable->items.front()
                                      : MakeUnknown("comprehension over an unknown iterable", true),
             depth + 1);
      run(k + 1);
      --pattern_depth_;
      return;
    }
    for (auto& e : *elems) {
      Assign(f, Field(c, "left"), e, depth + 1);
      run(k + 1);
      if (produced > options_.max_unroll) return;
    }
  };
  run(0);
  f.env = saved;  // comprehension variables do not leak (Python 3)
  if (is_dict) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    d->dict = std::move(dict);
    d->dict_open = open;
    return d;
  }
  if (open && items.size() > 1) items.resize(1);
  return MakeSeq(std::move(items), false, open);
}

void Interpreter::EvalArgs(Frame& f, TSNode arglist, int depth, std::vector<V>* args,
                           std::vector<std::pair<std::string, V>>* kwargs, bool* open) {
  if (IsType(arglist, "generator_expression")) {
    args->push_back(EvalComprehension(f, arglist, depth, false));
    return;
  }
  uint32_t n = ts_node_named_child_count(arglist);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode a = ts_node_named_child(arglist, i);
    if (IsType(a, "keyword_argument")) {
      kwargs->push_back({Text(f, Field(a, "name")), Eval(f, Field(a, "value"), depth + 1)});
    } else if (IsType(a, "list_splat")) {
      V v = Eval(f, ts_node_named_child(a, 0), depth + 1);
      auto items = Iterate(v);
      if (items) {
        args->insert(args->end(), items->begin(), items->end());
      } else {
        *open = true;
        // Keep the representative so containers can make a pattern.
        if (v->kind == Value::Kind::kSeq) {
          for (auto& it : v->items) args->push_back(it);
        }
      }
    } else if (IsType(a, "dictionary_splat")) {
      V v = Eval(f, ts_node_named_child(a, 0), depth + 1);
      if (v->kind == Value::Kind::kDict && !v->dict_open) {
        for (auto& kv : v->dict) kwargs->push_back(kv);
      } else {
        *open = true;
      }
    } else if (IsType(a, "comment")) {
      continue;
    } else {
      args->push_back(Eval(f, a, depth + 1));
    }
  }
}

V Interpreter::EvalCall(Frame& f, TSNode node, int depth) {
  TSNode fn = Field(node, "function");
  V callee = Eval(f, fn, depth + 1);
  std::vector<V> args;
  std::vector<std::pair<std::string, V>> kwargs;
  bool open = false;
  EvalArgs(f, Field(node, "arguments"), depth, &args, &kwargs, &open);
  if (open) {
    // `Sequential(*layers)` with an open list: containers make patterns.
    if (callee->kind == Value::Kind::kExternal) {
      std::string builtin = BuiltinModuleName(callee->str);
      if (builtin == "Sequential" || builtin == "ModuleList") {
        V made = MakeContainer(f, builtin == "Sequential" ? ContainerKind::kSequential : ContainerKind::kModuleList,
                               builtin, args, node);
        if (made->module) {
          made->module->open_children = true;
        }
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
      return MakeUnknown("instance of non-module class `" + callee->cls.cls->qualified_name + "`", false);
    case Value::Kind::kFunction: {
      const IndexedFile* file = callee->function_index->FindFile(callee->function->path);
      if (!file) return MakeUnknown("function source missing", true);
      return CallFunction(*callee->function_index, callee->function->node, file, std::move(args), std::move(kwargs),
                          nullptr, nullptr, {}, f.owner, depth + 1);
    }
    case Value::Kind::kExternal:
      return CallExternal(f, callee->str, args, kwargs, where, depth);
    case Value::Kind::kClosure: {
      if (depth > kMaxDepth) return MakeUnknown("call nesting too deep", true);
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
        uint32_t n = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
        size_t next = 0;
        for (uint32_t i = 0; i < n; ++i) {
          TSNode p = ts_node_named_child(params, i);
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
                             TSNode where) {
  auto inst = std::make_shared<Instance>();
  inst->container = kind;
  inst->type_name = "torch.nn." + name;
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = inst;
  SourceLocation loc = Loc(f, where);
  auto add_named = [&](const std::string& key, const V& item, bool pattern) {
    Slot s;
    s.name = key;
    s.values = {item};
    s.pattern = pattern;
    s.optional = optional_depth_ > 0;
    s.owner = f.owner;
    s.location = loc;
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
  if (kind == ContainerKind::kSequential) {
    items = args;
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
    inst->open_children = true;
    if (!items.empty()) add_named("*", items.front(), true);
    else inst->opens.push_back({"", name + " with elements not known", loc});
    return value;
  }
  for (size_t i = 0; i < items.size(); ++i) add_named(std::to_string(i), items[i], false);
  return value;
}

void Interpreter::ContainerAppend(Instance& inst, const V& item, const SourceLocation& where, const std::string& owner) {
  Slot s;
  s.values = {item};
  s.owner = owner;
  s.location = where;
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

V Interpreter::CallBuiltinLayer(const std::string& name, std::vector<V> args,
                                std::vector<std::pair<std::string, V>> kwargs, const SourceLocation& where,
                                int depth) {
  const ClassInfo* stub = catalog_.FindStub(name);
  if (stub) return Instantiate({&catalog_.stubs(), stub}, std::move(args), std::move(kwargs), where, depth);
  auto inst = std::make_shared<Instance>();
  inst->type_name = "torch.nn." + name;
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::kModule;
  value->module = inst;
  if (!catalog_.IsParameterless(name)) {
    inst->opens.push_back({"", "torch.nn." + name + " is not in ptlint's layer catalogue", where});
  }
  return value;
}

V Interpreter::CallExternal(Frame& f, const std::string& name, std::vector<V>& args,
                            std::vector<std::pair<std::string, V>>& kwargs, TSNode where, int depth) {
  auto kw = [&](const std::string& k) -> V {
    for (auto& [n, v] : kwargs) {
      if (n == k) return v;
    }
    return nullptr;
  };
  const std::string builtin = BuiltinModuleName(name);
  if (!builtin.empty()) {
    if (builtin == "Sequential") return MakeContainer(f, ContainerKind::kSequential, builtin, args, where);
    if (builtin == "ModuleList") return MakeContainer(f, ContainerKind::kModuleList, builtin, args, where);
    if (builtin == "ModuleDict") return MakeContainer(f, ContainerKind::kModuleDict, builtin, args, where);
    if (builtin == "ParameterList") return MakeContainer(f, ContainerKind::kParameterList, builtin, args, where);
    if (builtin == "ParameterDict") return MakeContainer(f, ContainerKind::kParameterDict, builtin, args, where);
    if (builtin == "Module") {
      auto inst = std::make_shared<Instance>();
      inst->type_name = "torch.nn.Module";
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kModule;
      v->module = inst;
      return v;
    }
    if (!options_.prefer_catalog) {
      // Interpret torch's own source when it is indexed.
      const ClassInfo* cls = project_.FindClass(name);
      if (cls && cls->name == builtin) return Instantiate({&project_, cls}, args, kwargs, Loc(f, where), depth + 1);
    }
    return CallBuiltinLayer(builtin, args, kwargs, Loc(f, where), depth + 1);
  }
  auto last = name.substr(name.rfind('.') + 1);
  // Parameters and tensors.
  if (name == "torch.nn.Parameter" || name == "torch.nn.parameter.Parameter" || name == "nn.Parameter" ||
      name == "torch.nn.parameter.UninitializedParameter" || name == "torch.nn.UninitializedParameter") {
    if (last == "UninitializedParameter") return MakeTensor(false, {}, true);
    V data = !args.empty() ? args[0] : kw("data");
    if (!data) return MakeTensor(true, {SymExpr::Int(0)}, true);  // Parameter() is an empty tensor
    if (data->kind == Value::Kind::kTensor) {
      auto p = std::make_shared<Value>(*data);
      p->is_parameter = true;
      return p;
    }
    return MakeTensor(false, {}, true);
  }
  if (name == "torch.nn.parameter.UninitializedBuffer") return MakeTensor(false, {});
  static const std::set<std::string> kFactories = {"zeros", "ones", "empty", "randn", "rand", "Tensor",
                                                   "FloatTensor", "LongTensor", "full", "randint", "eye",
                                                   "arange", "tensor", "zeros_like", "ones_like", "empty_like",
                                                   "randn_like", "rand_like", "as_tensor", "from_numpy",
                                                   "linspace", "logspace", "BoolTensor", "DoubleTensor",
                                                   "IntTensor", "HalfTensor"};
  if (name.rfind("torch.", 0) == 0 && name.find('.', 6) == std::string::npos && kFactories.count(last)) {
    auto shape_from = [&](const std::vector<V>& dims_args) -> V {
      std::vector<SymExprPtr> dims;
      for (auto& d : dims_args) {
        if (d->kind == Value::Kind::kNum || !d->arg_name.empty()) dims.push_back(AsExpr(d, "?"));
        else if (d->kind == Value::Kind::kUnknown) dims.push_back(SymExpr::Unknown(d->reason));
        else return MakeTensor(false, {});
      }
      return MakeTensor(true, std::move(dims));
    };
    if (last == "zeros" || last == "ones" || last == "empty" || last == "randn" || last == "rand" ||
        last == "Tensor" || last == "FloatTensor" || last == "LongTensor" || last == "BoolTensor" ||
        last == "DoubleTensor" || last == "IntTensor" || last == "HalfTensor") {
      if (args.size() == 1 && args[0]->kind == Value::Kind::kSeq) {
        if (args[0]->items_open) return MakeTensor(false, {});
        if ((last == "Tensor" || last.size() > 6) && !args[0]->is_tuple) return MakeTensor(false, {});  // Tensor([1,2]) is data
        return shape_from(args[0]->items);
      }
      if (args.empty()) {
        if (V size = kw("size")) return shape_from(size->kind == Value::Kind::kSeq ? size->items : std::vector<V>{size});
        return MakeTensor(true, {SymExpr::Int(0)});
      }
      return shape_from(args);
    }
    if (last == "full" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) return shape_from(args[0]->items);
      return MakeTensor(false, {});
    }
    if (last == "randint" && !args.empty()) {
      V size = args.back();
      if (size->kind == Value::Kind::kSeq && !size->items_open) return shape_from(size->items);
      return MakeTensor(false, {});
    }
    if (last == "eye" && !args.empty()) {
      return shape_from({args[0], args.size() > 1 ? args[1] : args[0]});
    }
    if (last == "arange" && args.size() == 1) return shape_from({args[0]});
    if (last == "tensor" || last == "as_tensor") {
      if (!args.empty() && args[0]->kind == Value::Kind::kNum) return MakeTensor(true, {});
      if (!args.empty() && args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) {
        bool flat = true;
        for (auto& it : args[0]->items) flat = flat && it->kind == Value::Kind::kNum;
        if (flat) return MakeTensor(true, {SymExpr::Int(static_cast<int64_t>(args[0]->items.size()))});
      }
      return MakeTensor(false, {});
    }
    if (last.size() > 5 && last.compare(last.size() - 5, 5, "_like") == 0 && !args.empty() &&
        args[0]->kind == Value::Kind::kTensor) {
      auto t = std::make_shared<Value>(*args[0]);
      t->is_parameter = false;
      return t;
    }
    return MakeTensor(false, {});
  }
  // torch.nn.init.* return their (first) argument.
  if (name.rfind("torch.nn.init.", 0) == 0) return args.empty() ? MakeNone() : args[0];
  if (name == "copy.deepcopy" || name == "copy.copy") {
    if (args.empty()) return MakeUnknown("deepcopy()");
    return CloneValue(args[0], 0);
  }
  if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "typing.OrderedDict") {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    if (!args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) {
        d->dict = args[0]->dict;
        d->dict_open = args[0]->dict_open;
      } else if (args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) {
        for (auto& pair : args[0]->items) {
          if (pair->kind == Value::Kind::kSeq && pair->items.size() == 2 && pair->items[0]->kind == Value::Kind::kStr &&
              !pair->items[0]->str_pattern) {
            d->dict.push_back({pair->items[0]->str, pair->items[1]});
          } else {
            d->dict_open = true;
          }
        }
      } else {
        d->dict_open = true;
      }
    }
    for (auto& kv : kwargs) d->dict.push_back(kv);
    return d;
  }
  // Python builtins.
  if (name.rfind("builtins.", 0) == 0) {
    const std::string b = name.substr(9);
    if (b == "range") {
      std::vector<int64_t> bounds;
      for (auto& a : args) {
        auto i = AsInt(a);
        if (!i) {
          auto seq = MakeSeq({MakeNum(SymExpr::Unknown("range element"))}, false, true);
          return seq;
        }
        bounds.push_back(*i);
      }
      int64_t lo = 0, hi = 0, step = 1;
      if (bounds.size() == 1) hi = bounds[0];
      else if (bounds.size() >= 2) { lo = bounds[0]; hi = bounds[1]; }
      if (bounds.size() == 3) step = bounds[2];
      if (step == 0) return MakeUnknown("range step 0");
      std::vector<V> items;
      for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) {
        if (static_cast<int64_t>(items.size()) >= options_.max_unroll) {
          return MakeSeq({MakeNum(SymExpr::Unknown("range element"))}, false, true);
        }
        items.push_back(MakeInt(i));
      }
      return MakeSeq(std::move(items), false);
    }
    if (b == "len" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) return MakeInt(static_cast<int64_t>(args[0]->items.size()));
      if (args[0]->kind == Value::Kind::kDict && !args[0]->dict_open) return MakeInt(static_cast<int64_t>(args[0]->dict.size()));
      if (args[0]->kind == Value::Kind::kStr && !args[0]->str_pattern) return MakeInt(static_cast<int64_t>(args[0]->str.size()));
      if (args[0]->kind == Value::Kind::kModule && args[0]->module && !args[0]->module->open_children &&
          args[0]->module->container != ContainerKind::kNone) {
        return MakeInt(static_cast<int64_t>(args[0]->module->children.size() + args[0]->module->params.size()));
      }
      return MakeNum(SymExpr::Unknown("len(" + (args[0]->arg_name.empty() ? std::string("?") : args[0]->arg_name) + ")"));
    }
    if ((b == "int" || b == "float" || b == "abs" || b == "bool") && args.size() == 1) {
      if (args[0]->kind == Value::Kind::kNum || !args[0]->arg_name.empty()) return MakeNum(SymExpr::Unary(b, AsExpr(args[0], "?")));
      return MakeNum(SymExpr::Unknown(b + "(...)"));
    }
    if (b == "round" && args.size() == 1 && args[0]->kind == Value::Kind::kNum) {
      auto n = args[0]->num->Evaluate();
      if (n && n->kind == PyNumber::Kind::kFloat) {
        // Python rounds half to even.
        double r = n->f, fl = std::floor(r), diff = r - fl;
        int64_t out = static_cast<int64_t>(fl);
        if (diff > 0.5 || (diff == 0.5 && (out % 2 != 0))) ++out;
        return MakeInt(out);
      }
      if (n) return MakeInt(n->i);
      return MakeNum(SymExpr::Unknown("round(...)"));
    }
    if ((b == "min" || b == "max") && !args.empty()) {
      std::vector<V> values = args.size() == 1 && args[0]->kind == Value::Kind::kSeq ? args[0]->items : args;
      if (values.empty()) return MakeUnknown(b + "()");
      SymExprPtr acc = AsExpr(values[0], "?");
      for (size_t i = 1; i < values.size(); ++i) acc = SymExpr::Binary(b, acc, AsExpr(values[i], "?"));
      return MakeNum(acc);
    }
    if (b == "sum" && !args.empty() && args[0]->kind == Value::Kind::kSeq && !args[0]->items_open) {
      SymExprPtr acc = SymExpr::Int(0);
      for (auto& it : args[0]->items) acc = SymExpr::Binary("+", acc, AsExpr(it, "?"));
      return MakeNum(acc);
    }
    if ((b == "tuple" || b == "list") ) {
      if (args.empty()) return MakeSeq({}, b == "tuple");
      auto items = Iterate(args[0]);
      if (items) return MakeSeq(*items, b == "tuple");
      if (args[0]->kind == Value::Kind::kSeq) return MakeSeq(args[0]->items, b == "tuple", true);
      return MakeUnknown(b + "() of an unknown value");
    }
    if (b == "reversed" && !args.empty()) {
      auto items = Iterate(args[0]);
      if (items) {
        std::reverse(items->begin(), items->end());
        return MakeSeq(*items, false);
      }
      return MakeUnknown("reversed() of an unknown value");
    }
    if (b == "enumerate" && !args.empty()) {
      auto items = Iterate(args[0]);
      int64_t start = 0;
      if (args.size() > 1) if (auto s = AsInt(args[1])) start = *s;
      if (V s = kw("start")) if (auto si = AsInt(s)) start = *si;
      if (items) {
        std::vector<V> out;
        for (size_t i = 0; i < items->size(); ++i) out.push_back(MakeSeq({MakeInt(start + static_cast<int64_t>(i)), (*items)[i]}, true));
        return MakeSeq(std::move(out), false);
      }
      V rep = args[0]->kind == Value::Kind::kSeq && !args[0]->items.empty() ? args[0]->items.front()
                                                                            : MakeUnknown("element", true);
      return MakeSeq({MakeSeq({MakeNum(SymExpr::Unknown("index")), rep}, true)}, false, true);
    }
    if (b == "zip" && !args.empty()) {
      std::vector<std::vector<V>> lists;
      for (auto& a : args) {
        auto items = Iterate(a);
        if (!items) return MakeSeq({}, false, true);
        lists.push_back(*items);
      }
      size_t n = lists[0].size();
      for (auto& l : lists) n = std::min(n, l.size());
      std::vector<V> out;
      for (size_t i = 0; i < n; ++i) {
        std::vector<V> tuple;
        for (auto& l : lists) tuple.push_back(l[i]);
        out.push_back(MakeSeq(std::move(tuple), true));
      }
      return MakeSeq(std::move(out), false);
    }
    if (b == "isinstance" && args.size() == 2) {
      const V& obj = args[0];
      std::vector<V> types = args[1]->kind == Value::Kind::kSeq ? args[1]->items : std::vector<V>{args[1]};
      std::optional<bool> result = false;
      for (auto& t : types) {
        std::string tn = t->kind == Value::Kind::kExternal ? t->str : "";
        std::optional<bool> match;
        if (tn == "builtins.int" || tn == "numbers.Integral" || tn == "numbers.Number") {
          if (obj->kind == Value::Kind::kNum) {
            auto n = obj->num->Evaluate();
            if (n) match = n->kind != PyNumber::Kind::kFloat || tn == "numbers.Number";
            else if (obj->num->kind() == SymExpr::Kind::kArg) match = std::nullopt;
          } else if (obj->kind != Value::Kind::kUnknown) {
            match = false;
          }
        } else if (tn == "builtins.float") {
          if (obj->kind == Value::Kind::kNum) {
            auto n = obj->num->Evaluate();
            if (n) match = n->kind == PyNumber::Kind::kFloat;
          } else if (obj->kind != Value::Kind::kUnknown) {
            match = false;
          }
        } else if (tn == "builtins.tuple" || tn == "builtins.list") {
          if (obj->kind == Value::Kind::kSeq) match = obj->is_tuple == (tn == "builtins.tuple");
          else if (obj->kind != Value::Kind::kUnknown) match = false;
        } else if (tn == "builtins.str") {
          if (obj->kind == Value::Kind::kStr) match = true;
          else if (obj->kind != Value::Kind::kUnknown) match = false;
        } else if (tn == "builtins.bool") {
          if (obj->kind == Value::Kind::kNum) {
            auto n = obj->num->Evaluate();
            if (n) match = n->kind == PyNumber::Kind::kBool;
          } else if (obj->kind != Value::Kind::kUnknown) {
            match = false;
          }
        }
        if (!match) { result = std::nullopt; continue; }
        if (*match) return MakeBool(true);
      }
      if (result) return MakeBool(false);
      return MakeUnknown("isinstance on an unknown value");
    }
    if (b == "setattr" && args.size() >= 3) {
      if (args[0]->kind == Value::Kind::kModule && args[0]->module) {
        if (args[1]->kind == Value::Kind::kStr) {
          SetModuleAttr(f, *args[0]->module, args[1]->str, args[2], where, args[1]->str_pattern);
        } else {
          args[0]->module->opens.push_back({"", "setattr() with a name that is not known", Loc(f, where)});
        }
      }
      return MakeNone();
    }
    if (b == "getattr" && args.size() >= 2) {
      if (args[0]->kind == Value::Kind::kModule && args[1]->kind == Value::Kind::kStr && !args[1]->str_pattern) {
        Instance& inst = *args[0]->module;
        if (Slot* s = FindSlot(inst.params, args[1]->str)) return s->values.back();
        if (Slot* s = FindSlot(inst.children, args[1]->str)) return s->values.back();
        auto a = inst.attrs.find(args[1]->str);
        if (a != inst.attrs.end()) return a->second;
      }
      if (args[0]->kind == Value::Kind::kExternal && args[1]->kind == Value::Kind::kStr && !args[1]->str_pattern) {
        return MakeExternal(args[0]->str + "." + args[1]->str);
      }
      return MakeUnknown("getattr() not understood", true);
    }
    if (b == "super") {
      auto v = std::make_shared<Value>();
      v->kind = Value::Kind::kSuper;
      v->cls = f.current_class;
      // super(Cls, self): the explicit class starts the MRO search.
      if (!args.empty() && args[0]->kind == Value::Kind::kClass) v->cls = args[0]->cls;
      return v;
    }
    if (b == "str") return args.empty() ? MakeStr("") : (args[0]->kind == Value::Kind::kStr ? args[0] : MakeStr("*", true));
    if (b == "hasattr") return MakeUnknown("hasattr()");
    return MakeUnknown("builtin " + b + "() not followed");
  }
  // Functions whose result is certainly not a module: math, tensor ops, typing.
  static const char* kNotModules[] = {"math.", "torch.", "numpy.", "np.", "typing.", "warnings.", "logging.",
                                      "functools.", "itertools.", "operator.", "os.", "sys.", "re."};
  for (const char* prefix : kNotModules) {
    if (name.rfind(prefix, 0) == 0) {
      if (name.rfind("math.", 0) == 0) {
        static const std::set<std::string> kMath = {"ceil", "floor", "sqrt", "log2", "log", "prod", "gcd"};
        if (kMath.count(last) && args.size() >= 1 && args[0]->kind == Value::Kind::kNum) {
          auto x = args[0]->num->Evaluate();
          if (x && last == "ceil") return MakeInt(static_cast<int64_t>(std::ceil(x->AsDouble())));
          if (x && last == "floor") return MakeInt(static_cast<int64_t>(std::floor(x->AsDouble())));
          if (x && last == "sqrt") return MakeNum(SymExpr::Const(PyNumber::Float(std::sqrt(x->AsDouble()))));
        }
        return MakeNum(SymExpr::Unknown(name + "(...)"));
      }
      // torch.nn.functional.*, torch.* ops: tensors, never registered modules.
      if (name.rfind("torch.nn.utils.", 0) == 0) {
        // weight_norm / spectral_norm replace parameter `name` (default
        // "weight") by name_g/name_v or name_orig/name_u/name_v.
        if (!args.empty() && args[0]->kind == Value::Kind::kModule) {
          Instance& target = *args[0]->module;
          std::string param = "weight";
          V pn = args.size() > 1 ? args[1] : kw("name");
          if (pn && pn->kind == Value::Kind::kStr && !pn->str_pattern) param = pn->str;
          else if (pn && pn->kind != Value::Kind::kNone) param = "*";
          if (param == "*") {
            target.params.clear();
            target.opens.push_back({"", name + " with a parameter name that is not known", Loc(f, where)});
          } else {
            target.params.erase(std::remove_if(target.params.begin(), target.params.end(),
                                               [&](const Slot& s) { return s.name == param; }),
                                target.params.end());
            target.opens.push_back({param + "_*", name + " replaces `" + param + "` by reparametrisation keys", Loc(f, where)});
            target.opens.push_back({"parametrizations.", name + " may register parametrizations", Loc(f, where)});
          }
          return args[0];
        }
      }
      if (name.rfind("torch.", 0) == 0 && name.find(".nn.") == std::string::npos && name.find("jit") == std::string::npos) {
        return MakeTensor(false, {});
      }
      return MakeUnknown("`" + name + "(...)` is not a module", false);
    }
  }
  return MakeUnknown("call of `" + name + "` (outside the project) not followed", true);
}

V Interpreter::CallMethod(Frame& f, const V& method, std::vector<V>& args,
                          std::vector<std::pair<std::string, V>>& kwargs, TSNode where, int depth) {
  const V& target = method->target;
  const std::string& name = method->str;
  auto kw = [&](const std::string& k) -> V {
    for (auto& [n, v] : kwargs) {
      if (n == k) return v;
    }
    return nullptr;
  };
  if (target->kind == Value::Kind::kSuper || target->kind == Value::Kind::kClass) {
    // super().__init__(...) / Base.__init__(self, ...) / super().method(...)
    ClassRef start = target->cls;
    if (!start.cls) return MakeUnknown("super() outside a class");
    std::shared_ptr<Instance> self = f.self;
    V self_value = f.self_value;
    std::vector<V> call_args = args;
    if (target->kind == Value::Kind::kClass) {
      // Unbound call: the first argument is self.
      if (call_args.empty() || call_args[0]->kind != Value::Kind::kModule) {
        return MakeUnknown("class attribute `" + start.cls->name + "." + name + "`", false);
      }
      self_value = call_args[0];
      self = self_value->module;
      call_args.erase(call_args.begin());
    }
    if (!self) return MakeUnknown("super() without self");
    // The method after `start` in the MRO of self's class (super), or in
    // start itself (explicit Base.method).
    ClassRef root = self->cls.cls ? self->cls : start;
    std::pair<const ClassInfo*, const ModuleIndex*> found;
    if (target->kind == Value::Kind::kSuper) found = FindMethod(root, name, false, start.cls);
    else found = FindMethod(start, name, false, nullptr);
    if (!found.first) {
      if (name == "__init__") {
        // Reached a built-in base: nn.Module (nothing), or a layer/container
        // whose __init__ registers things.
        std::vector<ClassRef> mro = Mro(root);
        bool passed = target->kind == Value::Kind::kClass;
        for (const auto& r : mro) {
          if (!passed) {
            if (r.cls == start.cls) passed = true;
            if (target->kind == Value::Kind::kSuper) {
              if (r.cls != start.cls) continue;
            }
          }
          const IndexedFile* file = FileOf(*r.index, r.cls);
          for (const auto& base : r.cls->base_texts) {
            Symbol s = file ? r.index->Resolve(file->info.module_name, base) : r.index->ResolveAbsolute(base);
            std::string builtin = BuiltinModuleName(s.qualified_name);
            if (builtin.empty() || builtin == "Module") continue;
            ContainerKind kind = builtin == "Sequential" ? ContainerKind::kSequential
                                 : builtin == "ModuleList" ? ContainerKind::kModuleList
                                 : builtin == "ModuleDict" ? ContainerKind::kModuleDict
                                 : builtin == "ParameterList" ? ContainerKind::kParameterList
                                 : builtin == "ParameterDict" ? ContainerKind::kParameterDict
                                                              : ContainerKind::kNone;
            V made = kind != ContainerKind::kNone ? MakeContainer(f, kind, builtin, call_args, where)
                                                  : CallBuiltinLayer(builtin, call_args, kwargs, Loc(f, where), depth + 1);
            if (made->kind == Value::Kind::kModule && made->module) {
              // Merge the base's registrations into self, keeping self's identity.
              Instance& src = *made->module;
              for (auto& s2 : src.params) self->params.push_back(s2);
              for (auto& s2 : src.buffers) self->buffers.push_back(s2);
              for (auto& s2 : src.children) self->children.push_back(s2);
              for (auto& o : src.opens) self->opens.push_back(o);
              for (auto& [k, v] : src.attrs) self->attrs[k] = v;
              if (kind != ContainerKind::kNone) {
                self->container = kind;
                self->open_children = src.open_children;
              }
            }
            return MakeNone();
          }
          if (target->kind == Value::Kind::kSuper && r.cls == start.cls) break;
        }
        return MakeNone();
      }
      return MakeUnknown("method `" + name + "` not found in the bases", true);
    }
    const IndexedFile* file = FileOf(*found.second, found.first);
    if (!file) return MakeUnknown("method source missing", true);
    TSNode def = FindMethodNode(*file, found.first, name);
    if (ts_node_is_null(def)) return MakeUnknown("method not found", true);
    return CallFunction(*found.second, def, file, call_args, kwargs, self, self_value, {found.second, found.first},
                        f.owner.empty() ? found.first->qualified_name : f.owner, depth + 1);
  }
  if (target->kind == Value::Kind::kModule && target->module) {
    Instance& inst = *target->module;
    SourceLocation loc = Loc(f, where);
    auto arg = [&](size_t i, const char* k) -> V {
      if (i < args.size()) return args[i];
      return kw(k);
    };
    if (name == "register_buffer") {
      V n = arg(0, "name"), t = arg(1, "tensor");
      V persistent = arg(2, "persistent");
      if (!n || !t) return MakeNone();
      bool is_persistent = true;
      bool persistent_known = true;
      if (persistent) {
        auto truth = Truth(persistent);
        if (truth) is_persistent = *truth;
        else persistent_known = false;
      }
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", "register_buffer() with a name that is not known", loc});
        return MakeNone();
      }
      V value = t;
      if (t->kind == Value::Kind::kUnknown) value = MakeTensor(false, {});
      if (t->kind != Value::Kind::kTensor && t->kind != Value::Kind::kNone && t->kind != Value::Kind::kUnknown) {
        value = MakeTensor(false, {});
      }
      const bool was_optional = optional_depth_ > 0;
      if (t->kind == Value::Kind::kUnknown || !persistent_known) ++optional_depth_;  // may be None / may be non-persistent
      inst.params.erase(std::remove_if(inst.params.begin(), inst.params.end(), [&](const Slot& s) { return s.name == n->str && !was_optional; }), inst.params.end());
      Slot* existing = FindSlot(inst.buffers, n->str);
      if (existing && optional_depth_ == 0) {
        existing->values = {value};
        existing->persistent = is_persistent;
        existing->location = loc;
      } else if (existing) {
        existing->values.push_back(value);
        existing->optional = true;
      } else {
        Slot s;
        s.name = n->str;
        s.values = {value};
        s.persistent = is_persistent;
        s.optional = optional_depth_ > 0;
        s.pattern = n->str_pattern;
        s.owner = f.owner;
        s.location = loc;
        inst.buffers.push_back(std::move(s));
      }
      if (t->kind == Value::Kind::kUnknown || !persistent_known) --optional_depth_;
      return MakeNone();
    }
    if (name == "register_parameter") {
      V n = arg(0, "name"), p = arg(1, "param");
      if (!n || !p) return MakeNone();
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", "register_parameter() with a name that is not known", loc});
        return MakeNone();
      }
      V value = p;
      if (p->kind == Value::Kind::kTensor) {
        value = std::make_shared<Value>(*p);
        value->is_parameter = true;
      } else if (p->kind != Value::Kind::kNone) {
        value = MakeTensor(false, {}, true);
        ++optional_depth_;
      }
      Slot* existing = FindSlot(inst.params, n->str);
      if (existing && optional_depth_ == 0) {
        existing->values = {value};
      } else if (existing) {
        existing->values.push_back(value);
        existing->optional = true;
      } else {
        Slot s;
        s.name = n->str;
        s.values = {value};
        s.optional = optional_depth_ > 0;
        s.pattern = n->str_pattern;
        s.owner = f.owner;
        s.location = loc;
        inst.params.push_back(std::move(s));
      }
      if (p->kind != Value::Kind::kNone && p->kind != Value::Kind::kTensor) --optional_depth_;
      return MakeNone();
    }
    if (name == "add_module" || name == "register_module") {
      V n = arg(0, "name"), m = arg(1, "module");
      if (!n || !m) return MakeNone();
      if (n->kind != Value::Kind::kStr) {
        inst.opens.push_back({"", name + "() with a name that is not known", loc});
        return MakeNone();
      }
      if (m->kind == Value::Kind::kModule || m->kind == Value::Kind::kNone) {
        SetModuleAttr(f, inst, n->str, m, where, n->str_pattern);
        if (m->kind == Value::Kind::kNone && !FindSlot(inst.children, n->str)) {
          Slot s;
          s.name = n->str;
          s.values = {m};
          s.owner = f.owner;
          s.location = loc;
          inst.children.push_back(std::move(s));
        }
      } else {
        inst.opens.push_back({n->str + ".", name + "() with a module not understood", loc});
      }
      return MakeNone();
    }
    if (inst.container == ContainerKind::kModuleList || inst.container == ContainerKind::kSequential ||
        inst.container == ContainerKind::kParameterList) {
      if (name == "append" && !args.empty()) {
        ContainerAppend(inst, args[0], loc, f.owner);
        return target;
      }
      if (name == "extend" && !args.empty()) {
        auto items = Iterate(args[0]);
        if (items) for (auto& it : *items) ContainerAppend(inst, it, loc, f.owner);
        else {
          ++pattern_depth_;
          if (args[0]->kind == Value::Kind::kSeq && !args[0]->items.empty()) ContainerAppend(inst, args[0]->items.front(), loc, f.owner);
          else inst.opens.push_back({"", "extend() with elements not known", loc});
          --pattern_depth_;
        }
        return target;
      }
      if (name == "insert" && args.size() >= 2) {
        auto at = AsInt(args[0]);
        if (!at || optional_depth_ > 0 || pattern_depth_ > 0 || inst.open_children ||
            inst.container == ContainerKind::kParameterList) {
          inst.opens.push_back({"", "insert() into a container at a position not known", loc});
          return MakeNone();
        }
        // ModuleList.insert shifts the later entries: names are re-numbered.
        int64_t size = static_cast<int64_t>(inst.children.size());
        int64_t i = *at < 0 ? std::max<int64_t>(0, *at + size) : std::min(*at, size);
        Slot s;
        s.values = {args[1]};
        s.owner = f.owner;
        s.location = loc;
        inst.children.insert(inst.children.begin() + i, std::move(s));
        for (size_t k = 0; k < inst.children.size(); ++k) inst.children[k].name = std::to_string(k);
        return MakeNone();
      }
    }
    if ((inst.container == ContainerKind::kModuleDict || inst.container == ContainerKind::kParameterDict) &&
        name == "update" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) {
        for (auto& [k, v] : args[0]->dict) SetModuleAttr(f, inst, k, v, where, false);
      } else {
        inst.opens.push_back({"", "update() with entries not known", loc});
      }
      return MakeNone();
    }
    static const std::set<std::string> kNoEffect = {
        "reset_parameters", "_reset_parameters", "apply", "train", "eval", "to", "cuda", "cpu", "float",
        "double", "half", "requires_grad_", "register_forward_hook", "register_forward_pre_hook",
        "register_full_backward_hook", "register_backward_hook", "_register_load_state_dict_pre_hook",
        "_register_state_dict_hook", "register_load_state_dict_post_hook", "flatten_parameters",
        "init_weights", "_init_weights", "zero_grad", "share_memory", "extra_repr"};
    // A method of the instance's class: follow it (helpers like _make_layer).
    if (inst.cls.cls) {
      auto [cls, idx] = FindMethod(inst.cls, name, false, nullptr);
      if (cls) {
        const IndexedFile* file = FileOf(*idx, cls);
        TSNode def = file ? FindMethodNode(*file, cls, name) : TSNode{};
        if (!ts_node_is_null(def)) {
          // Decorated static/class methods do not take self.
          TSNode parent = ts_node_parent(def);
          bool is_static = IsType(parent, "decorated_definition") &&
                           (file->parsed.Text(parent).find("@staticmethod") != std::string_view::npos);
          return CallFunction(*idx, def, file, args, kwargs, is_static ? nullptr : target->module,
                              is_static ? nullptr : target, {idx, cls}, f.owner, depth + 1);
        }
      }
    }
    if (kNoEffect.count(name)) return MakeNone();
    if (name == "parameters" || name == "modules" || name == "children" || name == "named_parameters" ||
        name == "named_modules" || name == "buffers") {
      return MakeUnknown("iteration over module members", false);
    }
    return MakeUnknown("method `" + name + "` not followed", true);
  }
  if (target->kind == Value::Kind::kSeq) {
    if (name == "append" && !args.empty()) {
      if (pattern_depth_ > 0 || target->items_open) {
        target->items_open = true;
        if (target->items.empty()) target->items.push_back(args[0]);
      } else if (optional_depth_ > 0) {
        // Appended under an unknown condition: the length is not known.
        target->items_open = true;
        target->items.push_back(args[0]);
      } else {
        target->items.push_back(args[0]);
      }
      return MakeNone();
    }
    if (name == "extend" && !args.empty()) {
      auto items = Iterate(args[0]);
      if (items && pattern_depth_ == 0 && optional_depth_ == 0) target->items.insert(target->items.end(), items->begin(), items->end());
      else {
        target->items_open = true;
        if (args[0]->kind == Value::Kind::kSeq && !args[0]->items.empty()) target->items.push_back(args[0]->items.front());
      }
      return MakeNone();
    }
    if (name == "insert" || name == "pop" || name == "remove") {
      target->items_open = true;
      return MakeUnknown("list mutation", true);
    }
    if (name == "index" || name == "count") return MakeNum(SymExpr::Unknown("list." + name));
  }
  if (target->kind == Value::Kind::kDict) {
    if (name == "items" || name == "keys" || name == "values") {
      if (target->dict_open) return MakeSeq({}, false, true);
      std::vector<V> out;
      for (auto& [k, v] : target->dict) {
        if (name == "items") out.push_back(MakeSeq({MakeStr(k), v}, true));
        else if (name == "keys") out.push_back(MakeStr(k));
        else out.push_back(v);
      }
      return MakeSeq(std::move(out), false);
    }
    if (name == "get" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kStr && !target->dict_open) {
        for (auto& [k, v] : target->dict) {
          if (k == args[0]->str) return v;
        }
        return args.size() > 1 ? args[1] : MakeNone();
      }
      return MakeUnknown("dict.get of an unknown key", true);
    }
    if (name == "pop" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kStr && !target->dict_open) {
        for (auto it = target->dict.begin(); it != target->dict.end(); ++it) {
          if (it->first == args[0]->str) {
            V v = it->second;
            target->dict.erase(it);
            return v;
          }
        }
        return args.size() > 1 ? args[1] : MakeUnknown("KeyError");
      }
    }
    if (name == "update" && !args.empty()) {
      if (args[0]->kind == Value::Kind::kDict) for (auto& kv : args[0]->dict) target->dict.push_back(kv);
      else target->dict_open = true;
      for (auto& kv : kwargs) target->dict.push_back(kv);
      return MakeNone();
    }
  }
  if (target->kind == Value::Kind::kStr && name == "format") {
    // "weight_ih_l{}{}".format(layer, suffix): positional and indexed fields.
    std::string out;
    bool pattern = target->str_pattern;
    size_t next = 0;
    const std::string& fmt = target->str;
    for (size_t i = 0; i < fmt.size(); ++i) {
      char c = fmt[i];
      if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') { out += '{'; ++i; continue; }
      if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') { out += '}'; ++i; continue; }
      if (c != '{') { out += c; continue; }
      size_t close = fmt.find('}', i);
      if (close == std::string::npos) return MakeStr("*", true);
      std::string field = fmt.substr(i + 1, close - i - 1);
      i = close;
      V v;
      if (field.empty()) v = next < args.size() ? args[next++] : nullptr;
      else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
        size_t idx = std::strtoul(field.c_str(), nullptr, 10);
        v = idx < args.size() ? args[idx] : nullptr;
      } else {
        v = kw(field);
      }
      std::optional<int64_t> iv = v ? AsInt(v) : std::nullopt;
      if (v && v->kind == Value::Kind::kStr) {
        out += v->str;
        pattern = pattern || v->str_pattern;
      } else if (iv && v->num->Evaluate()->kind == PyNumber::Kind::kInt) {
        out += std::to_string(*iv);
      } else {
        out += '*';
        pattern = true;
      }
    }
    return MakeStr(out, pattern);
  }
  if (target->kind == Value::Kind::kTensor) {
    // In-place init (`self.w.data.normal_()`), views: not registrations.
    if (name == "size" || name == "dim" || name == "numel") return MakeNum(SymExpr::Unknown("tensor." + name));
    return MakeTensor(false, {});
  }
  return MakeUnknown("method `" + name + "` not followed", true);
}

V Interpreter::Eval(Frame& f, TSNode node, int depth) {
  Step();
  if (ts_node_is_null(node)) return MakeUnknown("missing expression");
  if (depth > 400) return MakeUnknown("expression nested too deeply");
  const char* type = ts_node_type(node);
  auto is = [type](const char* t) { return std::strcmp(type, t) == 0; };
  if (is("identifier")) return EvalIdentifier(f, Text(f, node), depth);
  if (is("integer")) {
    std::string digits = Text(f, node);
    digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
    if (!digits.empty() && (digits.back() == 'l' || digits.back() == 'L')) digits.pop_back();
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(digits.c_str(), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0') {
      // 0o17 style octal, or overflow.
      if (digits.size() > 2 && (digits[1] == 'o' || digits[1] == 'O')) {
        v = std::strtoll(digits.c_str() + 2, &end, 8);
        if (*end == '\0') return MakeInt(v);
      }
      return MakeNum(SymExpr::Unknown(digits));
    }
    return MakeInt(v);
  }
  if (is("float")) {
    std::string digits = Text(f, node);
    digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
    return MakeNum(SymExpr::Const(PyNumber::Float(std::strtod(digits.c_str(), nullptr))));
  }
  if (is("true")) return MakeBool(true);
  if (is("false")) return MakeBool(false);
  if (is("none")) return MakeNone();
  if (is("string") || is("concatenated_string")) return EvalString(f, node, depth);
  if (is("parenthesized_expression")) return Eval(f, ts_node_named_child(node, 0), depth + 1);
  if (is("attribute")) return EvalAttribute(f, node, depth);
  if (is("call")) return EvalCall(f, node, depth);
  if (is("subscript")) return EvalSubscript(f, node, depth);
  if (is("list") || is("tuple") || is("expression_list") || is("set")) {
    std::vector<V> items;
    bool open = false;
    uint32_t n = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(node, i);
      if (IsType(c, "comment")) continue;
      if (IsType(c, "list_splat")) {
        V v = Eval(f, ts_node_named_child(c, 0), depth + 1);
        auto inner = Iterate(v);
        if (inner) items.insert(items.end(), inner->begin(), inner->end());
        else open = true;
        continue;
      }
      items.push_back(Eval(f, c, depth + 1));
    }
    return MakeSeq(std::move(items), !is("list"), open);
  }
  if (is("dictionary")) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    uint32_t n = ts_node_named_child_count(node);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(node, i);
      if (IsType(c, "pair")) {
        V key = Eval(f, Field(c, "key"), depth + 1);
        V value = Eval(f, Field(c, "value"), depth + 1);
        if (key->kind == Value::Kind::kStr && !key->str_pattern) {
          bool replaced = false;
          for (auto& kv : d->dict) {
            if (kv.first == key->str) {
              kv.second = value;
              replaced = true;
            }
          }
          if (!replaced) d->dict.push_back({key->str, value});
        } else {
          d->dict_open = true;
        }
      } else if (IsType(c, "dictionary_splat")) {
        V v = Eval(f, ts_node_named_child(c, 0), depth + 1);
        if (v->kind == Value::Kind::kDict) for (auto& kv : v->dict) d->dict.push_back(kv);
        else d->dict_open = true;
      }
    }
    return d;
  }
  if (is("list_comprehension") || is("generator_expression") || is("set_comprehension")) {
    return EvalComprehension(f, node, depth, false);
  }
  if (is("dictionary_comprehension")) return EvalComprehension(f, node, depth, true);
  if (is("binary_operator")) {
    V a = Eval(f, Field(node, "left"), depth + 1);
    V b = Eval(f, Field(node, "right"), depth + 1);
    return EvalBinary(f, Text(f, Field(node, "operator")), a, b);
  }
  if (is("boolean_operator")) {
    V a = Eval(f, Field(node, "left"), depth + 1);
    std::string op = Text(f, Field(node, "operator"));
    auto ta = Truth(a);
    // Short-circuit: the right side is not evaluated when Python would not.
    if (ta && ((op == "and" && !*ta) || (op == "or" && *ta))) return a;
    V b = Eval(f, Field(node, "right"), depth + 1);
    return EvalBinary(f, op, a, b);
  }
  if (is("not_operator")) {
    V a = Eval(f, Field(node, "argument"), depth + 1);
    auto t = Truth(a);
    if (t) return MakeBool(!*t);
    if (a->kind == Value::Kind::kNum) return MakeNum(SymExpr::Unary("not", a->num));
    return MakeUnknown("not of an unknown value");
  }
  if (is("unary_operator")) {
    V a = Eval(f, Field(node, "argument"), depth + 1);
    std::string op = Text(f, Field(node, "operator"));
    if (a->kind == Value::Kind::kNum || !a->arg_name.empty()) {
      if (op == "-") return MakeNum(SymExpr::Unary("-", AsExpr(a, "?")));
      if (op == "+") return a;
    }
    return MakeUnknown("unary operator on an unknown value");
  }
  if (is("comparison_operator")) return EvalComparison(f, node, depth);
  if (is("conditional_expression")) {
    // body if condition else alternative: named children in that order.
    TSNode body = ts_node_named_child(node, 0);
    TSNode cond = ts_node_named_child(node, 1);
    TSNode alt = ts_node_named_child(node, 2);
    auto t = Truth(Eval(f, cond, depth + 1));
    if (t) return Eval(f, *t ? body : alt, depth + 1);
    V a = Eval(f, body, depth + 1);
    V b = Eval(f, alt, depth + 1);
    if (a->kind == Value::Kind::kNum && b->kind == Value::Kind::kNum) {
      auto x = a->num->Evaluate(), y = b->num->Evaluate();
      if (x && y && x->AsDouble() == y->AsDouble()) return a;
      return MakeNum(SymExpr::Unknown(Text(f, node)));
    }
    if (a->kind == Value::Kind::kModule || b->kind == Value::Kind::kModule) {
      return MakeUnknown("one of two modules, depending on `" + Text(f, cond) + "`", true);
    }
    return MakeUnknown("`" + Text(f, node) + "`: condition not known", a->maybe_module || b->maybe_module);
  }
  if (is("lambda")) {
    auto v = std::make_shared<Value>();
    v->kind = Value::Kind::kClosure;
    v->closure_node = node;
    v->closure_index = f.index;
    v->closure_file = f.file;
    v->closure_env = std::make_shared<std::map<std::string, V>>(f.env);
    return v;
  }
  if (is("await") || is("yield")) return MakeUnknown(type);
  if (is("named_expression")) {
    V v = Eval(f, Field(node, "value"), depth + 1);
    AssignName(f, Text(f, Field(node, "name")), v);
    return v;
  }
  if (is("keyword_argument")) return Eval(f, Field(node, "value"), depth + 1);
  if (is("ellipsis")) return MakeUnknown("...");
  return MakeUnknown(std::string("expression `") + type + "` not understood", true);
}

// A constructor argument given as JSON; numbers keep the argument's name.
V ValueFromJson(const nlohmann::json& j, const std::string& name) {
  if (j.is_null()) return MakeNone();
  if (j.is_boolean()) return MakeNum(SymExpr::Arg(name, PyNumber::Bool(j.get<bool>())));
  if (j.is_number_integer()) return MakeNum(SymExpr::Arg(name, PyNumber::Int(j.get<int64_t>())));
  if (j.is_number_float()) return MakeNum(SymExpr::Arg(name, PyNumber::Float(j.get<double>())));
  if (j.is_string()) return MakeStr(j.get<std::string>());
  if (j.is_array()) {
    std::vector<V> items;
    for (size_t i = 0; i < j.size(); ++i) items.push_back(ValueFromJson(j[i], name + "[" + std::to_string(i) + "]"));
    // JSON has no tuples; torch code checks isinstance(x, (list, tuple)) alike.
    return MakeSeq(std::move(items), true);
  }
  if (j.is_object()) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    for (auto it = j.begin(); it != j.end(); ++it) d->dict.push_back({it.key(), ValueFromJson(it.value(), name + "." + it.key())});
    return d;
  }
  return MakeUnknown("argument");
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
    uint32_t n = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode p = ts_node_named_child(params, i);
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
    positional.push_back(ValueFromJson(it->second, name));
  }
  for (const auto& [k, v] : options_.args) {
    if (!k.empty() && !std::isdigit(static_cast<unsigned char>(k[0]))) kwargs.push_back({k, ValueFromJson(v, k)});
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
  auto from_json = ValueFromJson;
  if (init_cls) {
    const IndexedFile* file = FileOf(*init_index, init_cls);
    TSNode def = file ? FindMethodNode(*file, init_cls, "__init__") : TSNode{};
    if (!ts_node_is_null(def)) {
      Frame g;
      g.index = init_index;
      g.file = file;
      TSNode params = Field(def, "parameters");
      uint32_t n = ts_node_named_child_count(params);
      int position = -1;  // self
      bool keyword_only = false;
      for (uint32_t i = 0; i < n; ++i) {
        TSNode p = ts_node_named_child(params, i);
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
          static const std::set<std::string> kPlain = {"int", "float", "bool", "str", "Tuple[int, int]",
                                                       "Tuple[int, ...]", "List[int]", "Optional[int]",
                                                       "Optional[float]", "Optional[bool]", "Optional[str]",
                                                       "List[float]", "Sequence[int]", "Tuple[int]", "List[str]"};
          bound->maybe_module = annotation.empty() || !kPlain.count(annotation);
        }
        out->params.push_back(cp);
        kwargs.push_back({name, bound});
      }
    }
  }
  return Instantiate(ref, std::move(positional), std::move(kwargs), SourceLocation{ref.cls->path, ref.cls->position.line, ref.cls->position.column}, 0);
}

// ---------------------------------------------------------------------------
// Flattening an instance into state-dict keys.

PredictedShape ToShape(const V& tensor) {
  PredictedShape shape;
  if (!tensor || tensor->kind != Value::Kind::kTensor || !tensor->rank_known) return shape;
  shape.rank_known = true;
  for (auto& d : tensor->shape) {
    PredictedDim dim;
    dim.expr = d->ToString();
    std::set<std::string> args;
    d->CollectArgs(&args);
    dim.args.assign(args.begin(), args.end());
    auto v = d->Evaluate();
    if (v && v->IsIntegral() && !d->HasUnknown()) dim.value = v->i;
    shape.dims.push_back(std::move(dim));
  }
  return shape;
}

bool SameShape(const PredictedShape& a, const PredictedShape& b) {
  if (a.rank_known != b.rank_known) return false;
  if (!a.rank_known) return true;
  if (a.dims.size() != b.dims.size()) return false;
  for (size_t i = 0; i < a.dims.size(); ++i) {
    if (a.dims[i].value != b.dims[i].value || (!a.dims[i].value && a.dims[i].expr != b.dims[i].expr)) return false;
  }
  return true;
}

const char kStubPath[] = "<ptlint builtin layers>";

struct Flattener {
  ExpectedStateDict* out;
  std::set<const Instance*> active;  // cycle guard (self.me = self)

  // `creation`: where this module was created in project code; keys that a
  // built-in layer registers are reported there (the stub's line means
  // nothing to a user).
  Confidence Flatten(const Instance& inst, const std::string& prefix, bool optional, bool pattern, int depth,
                     const SourceLocation& creation = {}) {
    Confidence conf = Confidence::kExact;
    auto worsen = [&](Confidence c) {
      if (static_cast<int>(c) > static_cast<int>(conf)) conf = c;
    };
    MetadataEntry meta;
    meta.path = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
    meta.version = inst.version;
    meta.type = inst.type_name;
    meta.is_pattern = pattern;
    meta.optional = optional;
    size_t meta_index = out->metadata.size();
    out->metadata.push_back(meta);
    if (depth > 64 || active.count(&inst)) {
      out->open.push_back({prefix, "module graph too deep or cyclic", {}});
      out->metadata[meta_index].confidence = Confidence::kOpen;
      return Confidence::kOpen;
    }
    active.insert(&inst);
    auto emit_slots = [&](const std::vector<Slot>& slots, KeyKind kind) {
      for (const auto& slot : slots) {
        // Alternatives: None means "no key" in that branch.
        std::vector<PredictedShape> shapes;
        bool some_none = false, some_tensor = false;
        for (const auto& v : slot.values) {
          if (!v || v->kind == Value::Kind::kNone) some_none = true;
          else {
            some_tensor = true;
            shapes.push_back(ToShape(v));
          }
        }
        if (!some_tensor) continue;
        PredictedKey key;
        key.key = prefix + slot.name;
        key.is_pattern = pattern || slot.pattern;
        key.kind = kind;
        key.persistent = slot.persistent;
        key.optional = optional || slot.optional || some_none;
        key.shape = shapes.front();
        for (size_t i = 1; i < shapes.size(); ++i) {
          if (!SameShape(shapes[i], key.shape)) key.shape = PredictedShape{};
        }
        key.owner_class = slot.owner.rfind("ptlint_builtin_layers.", 0) == 0
                              ? "torch.nn." + slot.owner.substr(22) : slot.owner;
        key.attribute = slot.name;
        key.location = slot.location.path == kStubPath ? creation : slot.location;
        if (key.optional || !key.shape.Concrete()) worsen(Confidence::kPartial);
        out->keys.push_back(std::move(key));
      }
    };
    emit_slots(inst.params, KeyKind::kParameter);
    emit_slots(inst.buffers, KeyKind::kBuffer);
    if (inst.extra_state) {
      PredictedKey key;
      key.key = prefix + "_extra_state";
      key.is_pattern = pattern;
      key.kind = KeyKind::kExtraState;
      key.optional = optional;
      key.owner_class = inst.type_name;
      key.attribute = "_extra_state";
      out->keys.push_back(std::move(key));
    }
    for (const auto& o : inst.opens) {
      out->open.push_back({prefix + o.prefix, o.reason, o.location.path == kStubPath ? creation : o.location});
      worsen(Confidence::kOpen);
    }
    for (const auto& slot : inst.children) {
      for (const auto& v : slot.values) {
        if (!v || v->kind != Value::Kind::kModule || !v->module) continue;
        bool child_optional = optional || slot.optional || slot.values.size() > 1;
        for (const auto& other : slot.values) {
          if (!other || other->kind == Value::Kind::kNone) child_optional = true;
        }
        worsen(Flatten(*v->module, prefix + slot.name + ".", child_optional, pattern || slot.pattern, depth + 1,
                       slot.location.path == kStubPath ? creation : slot.location));
        if (child_optional) worsen(Confidence::kPartial);
      }
    }
    active.erase(&inst);
    out->metadata[meta_index].confidence = conf;
    return conf;
  }
};

}  // namespace

Result<ExpectedStateDict> PredictStateDict(const ModuleIndex& index, const std::string& class_name,
                                           const PredictOptions& options) {
  const LayerCatalog& catalog = LayerCatalog::Get();
  ClassRef ref;
  const ClassInfo* cls = index.FindClass(class_name);
  std::string builtin = BuiltinModuleName(class_name);
  if (cls && (builtin.empty() || !options.prefer_catalog)) {
    ref = {&index, cls};
    ModuleClassification kind = index.Classify(*cls);
    if (kind.kind == ModuleKind::kNotModule) {
      return MakeError("predict.not-a-module", class_name + " is not an nn.Module subclass",
                       "only nn.Module classes have a state dict");
    }
  } else if (!builtin.empty()) {
    const ClassInfo* stub = catalog.FindStub(builtin);
    if (!stub) {
      ExpectedStateDict empty;
      empty.class_name = "torch.nn." + builtin;
      empty.metadata.push_back({"", 1, empty.class_name, false, false, Confidence::kExact});
      if (!catalog.IsParameterless(builtin) && !LayerCatalog::IsContainer(builtin)) {
        empty.confidence = Confidence::kOpen;
        empty.open.push_back({"", "torch.nn." + builtin + " is not in ptlint's layer catalogue", {}});
      }
      return empty;
    }
    ref = {&catalog.stubs(), stub};
  } else if (const FunctionInfo* fn = index.FindFunction(class_name)) {
    // A factory: interpret its body with the given arguments.
    ExpectedStateDict out;
    out.class_name = fn->qualified_name + "()";
    Interpreter interpreter(index, options);
    V made;
    try {
      made = interpreter.CallRootFunction(*fn);
    } catch (const BudgetExceeded&) {
      out.budget_exhausted = true;
      out.confidence = Confidence::kOpen;
      out.open.push_back({"", "evaluation budget exhausted", {}});
      return out;
    }
    if (!made || made->kind != Value::Kind::kModule || !made->module) {
      return MakeError("predict.factory-not-followed",
                       fn->qualified_name + "() does not evidently return a module" +
                           (made && made->kind == Value::Kind::kUnknown ? ": " + made->reason : std::string()),
                       "predict the class it builds, with its constructor arguments");
    }
    out.class_name = made->module->type_name;
    Flattener flattener{&out, {}};
    out.confidence = flattener.Flatten(*made->module, "", false, false, 0);
    return out;
  } else {
    return MakeError("predict.unknown-class", "no class named " + class_name + " in the index",
                     "check the dotted name (ptlint classes lists them)");
  }
  ExpectedStateDict out;
  out.class_name = ref.index == &catalog.stubs() ? "torch.nn." + ref.cls->name : ref.cls->qualified_name;
  Interpreter interpreter(index, options);
  V root;
  try {
    root = interpreter.InstantiateRoot(ref, &out);
  } catch (const BudgetExceeded&) {
    out.budget_exhausted = true;
    out.confidence = Confidence::kOpen;
    out.open.push_back({"", "evaluation budget exhausted (" + std::to_string(options.max_steps) + " steps)", {}});
    return out;
  }
  if (!root || root->kind != Value::Kind::kModule || !root->module) {
    return MakeError("predict.internal", "the constructor did not produce a module");
  }
  Flattener flattener{&out, {}};
  out.confidence = flattener.Flatten(*root->module, "", false, false, 0);
  // Advisory flags, through the MRO of project classes.
  for (const ClassInfo* c = ref.cls; c != nullptr;) {
    if (c->overrides_load_from_state_dict) out.advisories.push_back(c->qualified_name + " overrides _load_from_state_dict");
    if (c->registers_load_pre_hook) out.advisories.push_back(c->qualified_name + " registers a load_state_dict pre-hook");
    if (c->overrides_get_extra_state) out.advisories.push_back(c->qualified_name + " overrides get_extra_state");
    if (c->overrides_state_dict) out.advisories.push_back(c->qualified_name + " overrides state_dict/_save_to_state_dict");
    if (c->version) out.advisories.push_back(c->qualified_name + " sets _version = " + std::to_string(*c->version));
    // Follow the first project base only (advisories are informational).
    const ClassInfo* next = nullptr;
    const IndexedFile* file = ref.index->FindFile(c->path);
    for (const auto& b : c->base_texts) {
      Symbol s = file ? ref.index->Resolve(file->info.module_name, b) : ref.index->ResolveAbsolute(b);
      if (s.kind == Symbol::Kind::kClass && s.cls != c && BuiltinModuleName(s.qualified_name).empty()) {
        next = s.cls;
        break;
      }
    }
    if (ref.index == &catalog.stubs()) break;
    c = next;
    if (out.advisories.size() > 32) break;
  }
  return out;
}

nlohmann::json ExpectedStateDictToJson(const ExpectedStateDict& e) {
  using nlohmann::json;
  auto loc = [](const SourceLocation& l) {
    json j = json::object();
    j["path"] = l.path;
    j["line"] = l.line;
    j["column"] = l.column;
    return j;
  };
  json keys = json::array();
  for (const auto& k : e.keys) {
    json dims = json::array();
    for (const auto& d : k.shape.dims) {
      json dim = {{"expr", d.expr}, {"args", d.args}};
      dim["value"] = d.value ? json(*d.value) : json(nullptr);
      dims.push_back(dim);
    }
    json key = {{"key", k.key},
                {"pattern", k.is_pattern},
                {"kind", KeyKindName(k.kind)},
                {"persistent", k.persistent},
                {"optional", k.optional},
                {"shape", k.shape.rank_known ? json(dims) : json(nullptr)},
                {"shape_text", k.shape.ToString()},
                {"owner_class", k.owner_class},
                {"attribute", k.attribute},
                {"location", loc(k.location)}};
    keys.push_back(key);
  }
  json metadata = json::array();
  for (const auto& m : e.metadata) {
    metadata.push_back({{"path", m.path},
                        {"version", m.version},
                        {"type", m.type},
                        {"pattern", m.is_pattern},
                        {"optional", m.optional},
                        {"confidence", ConfidenceName(m.confidence)}});
  }
  json open = json::array();
  for (const auto& o : e.open) open.push_back({{"prefix", o.prefix}, {"reason", o.reason}, {"location", loc(o.location)}});
  json params = json::array();
  for (const auto& p : e.params) {
    params.push_back({{"name", p.name}, {"default", p.default_text}, {"annotation", p.annotation}, {"given", p.given}});
  }
  return {{"class", e.class_name},   {"constructor", params},          {"confidence", ConfidenceName(e.confidence)},
          {"keys", keys},            {"metadata", metadata},           {"open", open},
          {"advisories", e.advisories}, {"budget_exhausted", e.budget_exhausted}};
}

}  // namespace ptlint
