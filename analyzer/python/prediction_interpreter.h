// Internal to the state-dict predictor: the abstract values, module
// instances and the interpreter class that PredictStateDict runs.
//
// The interpreter's pieces live in separate files, each readable alone:
//   prediction_values.cc      values, truthiness, iteration, deep copies
//   prediction_statements.cc  statements: assignment, if/for/while, Module.__setattr__
//   prediction_expressions.cc expressions: names, attributes, operators, subscripts, comprehensions
//   prediction_calls.cc       calls: classes (MRO, __init__), project functions, closures, roots
//   prediction_methods.cc     method calls: register_*, containers, list/dict/str methods
//   prediction_externals.cc   calls outside the project: torch.nn layers, tensor factories, builtins
//   torch_api_tables.cc       the torch/Python API knowledge those use, as data
// state_dict_prediction.cc flattens the resulting instance into keys.
#ifndef PTLINT_ANALYZER_PYTHON_PREDICTION_INTERPRETER_H_
#define PTLINT_ANALYZER_PYTHON_PREDICTION_INTERPRETER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/python/layer_catalog.h"
#include "analyzer/python/module_index.h"
#include "analyzer/python/state_dict_prediction.h"
#include "analyzer/python/symbolic_expr.h"

namespace ptlint::prediction {

// ---------------------------------------------------------------------------
// Abstract values

struct Value;
using V = std::shared_ptr<Value>;
struct Instance;

struct ClassRef {
  const ModuleIndex* index = nullptr;
  const ClassInfo* cls = nullptr;
};

// The dtypes of the concrete tensors the predictor computes (Value::dtype).
enum class TensorDType { kNone, kInt64, kInt32, kFloat32 };

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
    kPartial,   // functools.partial(target, *items, **dict)
    kObject,    // a plain object with attributes (dataclass, NamedTuple, SimpleNamespace,
                // argparse Namespace, a config class): `module` holds its attributes
  };
  Kind kind = Kind::kUnknown;
  std::string reason;       // kUnknown
  std::string arg_name;     // kUnknown: an unbound constructor argument
  bool maybe_module = false;  // kUnknown: could be a module (so `self.x = v` is open)
  // kUnknown: `a if cond else b` with `cond` not known. Assigned to a module
  // attribute, each alternative registers under the unknown condition
  // (optional keys) instead of opening the subtree.
  std::vector<V> alternatives;
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
  // kDict: a configuration given as a JSON object, whose entries also read
  // as attributes (`config.n_embd`).
  bool entries_are_attributes = false;
  // kDict: every key that may be there is listed, but some were set under a
  // condition that is not known (their value is unknown and they may be
  // absent). `**d` still passes them; iteration, len() and truth do not know.
  bool dict_keys_uncertain = false;
  // kSeq: a set(). Its length and members are known, its order is not
  // (CPython's hash-table order): Iterate() does not give its elements.
  bool unordered = false;
  // kTensor: a small 1-D tensor whose elements are known, computed the way
  // torch computes them (RegNet's `torch.arange(depth) * w_a + w_0` width
  // schedule). kNone: the elements are not known (every other tensor).
  TensorDType dtype = TensorDType::kNone;
  std::vector<double> elements;  // int64/int32 values are exact (|x| < 2^53), float32 values exact floats
  // The elements passed through log/pow: torch's vectorised kernels (Sleef)
  // may differ from libm by an ULP, so a rounding that sits that close to
  // its boundary is not decided (see ConcreteTensorRound in prediction_values.cc).
  bool elements_inexact = false;
};

inline V MakeUnknown(std::string reason, bool maybe_module = false) {
  auto v = std::make_shared<Value>();
  v->reason = std::move(reason);
  v->maybe_module = maybe_module;
  return v;
}
inline V MakeNone() {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kNone;
  return v;
}
inline V MakeNum(SymExprPtr e) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kNum;
  v->num = std::move(e);
  return v;
}
inline V MakeInt(int64_t i) { return MakeNum(SymExpr::Int(i)); }
inline V MakeBool(bool b) { return MakeNum(SymExpr::Const(PyNumber::Bool(b))); }
inline V MakeStr(std::string s, bool pattern = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kStr;
  v->str = std::move(s);
  v->str_pattern = pattern;
  return v;
}
inline V MakeSeq(std::vector<V> items, bool is_tuple, bool open = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kSeq;
  v->items = std::move(items);
  v->is_tuple = is_tuple;
  v->items_open = open;
  return v;
}
inline V MakeExternal(std::string name) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kExternal;
  v->str = std::move(name);
  return v;
}
inline V MakeTensor(bool rank_known, std::vector<SymExprPtr> shape, bool parameter = false) {
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kTensor;
  v->rank_known = rank_known;
  v->shape = std::move(shape);
  v->is_parameter = parameter;
  return v;
}
inline V MakeMethod(V target, std::string name) {
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
  // A container element appended inside a `for` loop: that loop's header,
  // which decides how many elements there are.
  SourceLocation repeated_by;
  // A `Sequential` element built elsewhere and passed by name
  // (`final_conv = nn.Conv2d(...)` then `nn.Sequential(drop, final_conv)`):
  // the argument in the call, whose position decides the element's index.
  // `location` stays where it was built (its shapes come from there).
  SourceLocation placed;
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
  // Where the module was constructed (the call `nn.Linear(...)`, `Block(cfg)`):
  // a container element's keys belong on its own line, not the container's.
  SourceLocation created;
  // Built inside a `for` loop (`for _ in range(n): layers.append(Block())`):
  // that loop's header, which decides how many such modules there are.
  SourceLocation repeated_by;
};

inline Slot* FindSlot(std::vector<Slot>& slots, const std::string& name) {
  for (auto& s : slots) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// A plain object (kObject) of `type_name`; `cls` finds its methods and class
// attributes when it is a project class.
V MakeObject(std::string type_name, ClassRef cls);

// Concrete tensors (prediction_values.cc). Each returns nullptr when the
// operation is outside what is evaluated exactly like torch (the caller then
// keeps its unknown result): never a guessed value.
V MakeConcreteTensor(TensorDType dtype, std::vector<double> elements, bool inexact = false);
inline bool IsConcreteTensor(const V& v) {
  return v && v->kind == Value::Kind::kTensor && v->dtype != TensorDType::kNone;
}
// `a op b` (+ - * /) of concrete tensors and known Python numbers, with
// torch's type promotion (int tensor * float -> float32; `/` -> float32).
V ConcreteTensorBinary(const std::string& op, const V& a, const V& b);
// torch.<name>(args) on concrete tensors: log, pow, round, divide, diff, ...
V ConcreteTensorCall(const std::string& name, const std::vector<V>& args,
                     const std::vector<std::pair<std::string, V>>& kwargs, int64_t max_elements);
// tensor.<name>() of a concrete tensor: int, long, float, tolist.
V ConcreteTensorMethod(const V& tensor, const std::string& name, const std::vector<V>& args,
                       const std::vector<std::pair<std::string, V>>& kwargs);

// Deep copies of module instances (copy.deepcopy): tensors and modules are
// copied, everything else is shared.
std::shared_ptr<Instance> CloneInstance(const Instance& src, int depth = 0);
// A copy that shares nothing mutable with `src`: every module, object,
// list, dict, tensor and captured environment reachable from it is copied
// once (what was one object in `src` is one object in the copy). Only
// values never changed once made (numbers, strings, None, names, classes,
// functions) are shared. A
// memoised construction hands out such copies, so no later edit of one
// reaches the memo or another copy.
std::shared_ptr<Instance> IsolatedCopy(const std::shared_ptr<Instance>& src);
V CloneValue(const V& v, int depth);

// ---------------------------------------------------------------------------
// Catalogue layers already built (PredictionMemo): by a key that spells out
// the layer and every argument (layer_memo in prediction_calls.cc), the
// instance as built (an IsolatedCopy) and the interpreter steps it took.

}  // namespace ptlint::prediction

namespace ptlint {
struct PredictionMemo::Impl {
  struct Layer {
    std::shared_ptr<prediction::Instance> instance;  // never changed once stored
    int64_t steps = 0;
  };
  // What was built, by key; shared by the memos of the threads that predict
  // one run's candidates (a quarter of the layers one thread built, the
  // other built too). An entry is never changed or erased once stored, so
  // a thread copies it outside the lock.
  struct Builds {
    std::mutex lock;
    std::unordered_map<std::string, Layer> layers;
    // Project classes already built (Interpreter::MemoisedConstruction): a
    // class's __init__ sees only its arguments and the interpreter's
    // context, so with plain arguments (numbers with their provenance,
    // strings, None, tuples, classes, functions, partials of those) and the
    // same context (the nesting depth, an unknown branch or loop around it,
    // the innermost loop's header, the unroll bound) it builds the same
    // instance. Bottleneck is built 33 times per resnet152 and again for
    // every resnet builder.
    std::unordered_map<std::string, Layer> constructions;

    // The entry stored under `key` in `table`, or a null instance.
    Layer Find(std::unordered_map<std::string, Layer>& table, const std::string& key) {
      std::lock_guard<std::mutex> held(lock);
      auto it = table.find(key);
      return it == table.end() ? Layer{} : it->second;
    }
    void Store(std::unordered_map<std::string, Layer>& table, std::string key, Layer built) {
      std::lock_guard<std::mutex> held(lock);
      if (table.size() < kMaxLayers) table.emplace(std::move(key), std::move(built));
    }
  };
  std::shared_ptr<Builds> builds = std::make_shared<Builds>();
  static constexpr size_t kMaxLayers = 1 << 14;  // per table: bounds memory in a long LSP session
  // Name resolution and MROs: pure functions of the index, asked for on
  // every identifier the interpreter evaluates.
  std::unordered_map<std::string, Symbol> symbols;
  std::unordered_map<const ClassInfo*, std::vector<prediction::ClassRef>> mros;
  // Tree navigation (Interpreter::NamedChildren, Interpreter::Field): the
  // interpreter walks the same nodes once per construction it predicts, and
  // libtree-sitter finds a named child or a field by walking the node's
  // children from the first each time. Keyed by node id, which is an address:
  // valid only while the trees live unedited, as they do for one run (the
  // memo's lifetime). Never erased (an outer loop may hold a child list); as
  // large as the part of the trees the run visits.
  struct NodeKey {
    const void* id;
    const TSTree* tree;
    TSFieldId field;  // 0 for the named children
    bool operator==(const NodeKey& o) const { return id == o.id && tree == o.tree && field == o.field; }
  };
  struct NodeKeyHash {
    size_t operator()(const NodeKey& k) const {
      size_t h = std::hash<const void*>()(k.id);
      h ^= std::hash<const void*>()(k.tree) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
      return h ^ (static_cast<size_t>(k.field) * 0x9e3779b97f4a7c15ull);
    }
  };
  std::unordered_map<NodeKey, std::vector<TSNode>, NodeKeyHash> named_children;
  // The fields, asked for 750k times in a torchvision run (15k distinct):
  // open addressing in one array (linear probing, at most half full), where
  // a std::unordered_map spent ~90 instructions per lookup.
  struct FieldEntry {
    NodeKey key{nullptr, nullptr, 0};  // key.id null: an empty slot
    TSNode child{};
  };
  std::vector<FieldEntry> fields;
  size_t fields_used = 0;
  // StringLiteralValue of a node, read in `file` (Interpreter::PlainString).
  struct PlainString {
    const IndexedFile* file = nullptr;
    bool ok = false;
    std::string value;
  };
  std::unordered_map<NodeKey, PlainString, NodeKeyHash> plain_strings;
  // FindMethodNode by (file, class, method name): Interpreter::MethodNode.
  std::unordered_map<std::string, TSNode> method_nodes;
};
}  // namespace ptlint

namespace ptlint::prediction {

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
      : project_(project),
        catalog_(LayerCatalog::Get()),
        options_(options),
        own_memo_(options.memo != nullptr ? nullptr : std::make_unique<PredictionMemo>()),
        memo_(options.memo != nullptr ? options.memo->impl() : own_memo_->impl()) {}

  bool budget_exhausted() const { return budget_exhausted_; }

  // Instantiates `ref` with call arguments, running __init__ (through the MRO).
  V Instantiate(const ClassRef& ref, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
                const SourceLocation& where, int depth);
  // The construction itself, never memoised.
  V Instantiate(const ClassRef& ref, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
                const SourceLocation& where, int depth, std::nullptr_t);
  // A project class built again with the same plain arguments in the same
  // context (see PredictionMemo::Impl::constructions): the memoised instance,
  // copied, or nullptr when there is none (`key` is then what to store under,
  // empty when the construction is not memoisable).
  V MemoisedConstruction(const ClassRef& ref, const std::vector<V>& args,
                         const std::vector<std::pair<std::string, V>>& kwargs, const SourceLocation& where,
                         int depth, std::string* key);

  // Binds root arguments: from JSON or symbolic.
  V InstantiateRoot(const ClassRef& ref, ExpectedStateDict* out);
  // A factory function called with the JSON arguments (`wav2vec2_base()`).
  V CallRootFunction(const FunctionInfo& fn);

  // A torch.nn built-in called with these arguments.
  // A project class that is not an nn.Module: a config object. Dataclasses
  // and NamedTuples bind their annotated fields; other classes run __init__.
  V InstantiatePlainClass(const ClassRef& ref, std::vector<V> args, std::vector<std::pair<std::string, V>> kwargs,
                          const SourceLocation& where, int depth);
  // Runs a plain object's __init__: the first one along the MRO, written or
  // generated (@dataclass, NamedTuple). `self_value` is the object.
  void InitPlainObject(const ClassRef& ref, const V& self_value, std::vector<V> args,
                       std::vector<std::pair<std::string, V>> kwargs, int depth);
  // The generated __init__: fields in order (bases first) from the arguments
  // or their defaults, then __post_init__.
  void BindGeneratedInit(const ClassRef& ref, const V& self_value, std::vector<V> args,
                         std::vector<std::pair<std::string, V>> kwargs, int depth);
  // Does @dataclass or NamedTuple generate this class's __init__?
  bool GeneratesInit(const ClassRef& ref);
  // A root argument given as JSON. An object with "$class" is that project
  // class built with "$args" as positional and the other entries as keyword
  // arguments: a dataclass config filled from a checkpoint's model_args, or a
  // module injected at the call site (`Model(encoder=Encoder(64))`). Other
  // objects are dicts whose entries also read as attributes (`config.n_embd`).
  V RootArgument(const nlohmann::json& j, const std::string& name);
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
  // `a if c else b` assigned with `c` unknown: each alternative, optionally.
  void AssignAlternatives(Frame& f, Instance& inst, const std::string& name, const V& value, TSNode where,
                          bool name_is_pattern);

  // Expressions
  V Eval(Frame& f, TSNode node, int depth);
  V EvalIdentifier(Frame& f, const std::string& name, int depth);
  V EvalAttribute(Frame& f, TSNode node, int depth);
  V EvalCall(Frame& f, TSNode node, int depth);
  V EvalBinary(Frame& f, const std::string& op, const V& a, const V& b);
  V FormatPercent(const V& format, const V& values);
  V EvalComparison(Frame& f, TSNode node, int depth);
  V EvalString(Frame& f, TSNode node, int depth);
  V EvalComprehension(Frame& f, TSNode node, int depth, bool is_dict);
  V EvalSubscript(Frame& f, TSNode node, int depth);
  V ResolveSymbol(const ModuleIndex& index, const Symbol& s, int depth);
  // `Cls.name` / `obj.name` read from the class body (`name = 4`,
  // `name: int = 4`) through the MRO; nullptr when the class does not set it.
  V ClassAttribute(const ClassRef& ref, const std::string& name, int depth);
  // A method decorated with @property, called on `obj`; nullptr when `name` is not one.
  V CallProperty(Frame& f, const V& obj, const std::string& name, int depth);
  void EvalArgs(Frame& f, TSNode arglist, int depth, std::vector<V>* args,
                std::vector<std::pair<std::string, V>>* kwargs, bool* open, size_t* first_open = nullptr);

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
  // `open_from`: Sequential's positional arguments from this index on come
  // from a splat of unknown length (`Sequential(stem, *blocks, head)`).
  V MakeContainer(Frame& f, ContainerKind kind, const std::string& name, std::vector<V>& args, TSNode where,
                  size_t open_from = std::string::npos);
  void ContainerAppend(Instance& inst, const V& item, const SourceLocation& where, const std::string& owner);

  // Helpers
  std::optional<bool> Truth(const V& v);
  SymExprPtr AsExpr(const V& v, const std::string& text);
  std::optional<std::vector<V>> Iterate(const V& v);
  std::optional<int64_t> AsInt(const V& v);
  bool IsModuleClass(const ClassRef& ref);
  std::pair<const ClassInfo*, const ModuleIndex*> FindMethod(const ClassRef& start, const std::string& name,
                                                             bool skip_start, const ClassInfo* after);
  const std::vector<ClassRef>& Mro(const ClassRef& ref);
  // index.Resolve / ResolveAbsolute, remembered for the run.
  // The symbol is the memo's (it lives as long as the memo): no copy per call.
  const Symbol& Resolve(const ModuleIndex& index, const std::string& module_name, const std::string& dotted);
  const Symbol& ResolveAbsolute(const ModuleIndex& index, const std::string& dotted);
  const IndexedFile* FileOf(const ModuleIndex& index, const ClassInfo* cls);
  // ptlint::NamedChildren and ptlint::Field, each answered once per node for
  // the run from the memo (see PredictionMemo::Impl). Declared here, they are
  // what the member functions' unqualified NamedChildren(...) and Field(...)
  // call. The list lives as long as the memo.
  const std::vector<TSNode>& NamedChildren(TSNode node);
  // `name` is a string literal: its address keys a per-thread table of field
  // ids (ptlint::FieldId compares the text, ~90 instructions a call), so only
  // arrays are taken and a `const char*` does not compile.
  template <size_t N>
  TSNode Field(TSNode node, const char (&name)[N]) {
    return FieldOfLiteral(node, name);
  }
  TSNode FieldOfLiteral(TSNode node, const char* name);
  // StringLiteralValue(f.file->parsed, node), remembered for the run; false
  // when the node is not a plain string. `f.file` must be set.
  bool PlainString(const Frame& f, TSNode node, std::string* out);
  // FindMethodNode(file, cls, name), remembered for the run: asked at every
  // method call and construction, it walks the class body.
  TSNode MethodNode(const IndexedFile& file, const ClassInfo* cls, const std::string& name);
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
  // A call not followed because of the nesting bound (counted: Instantiate
  // opens the instance whose __init__ hit it).
  V TooDeep() {
    ++depth_limit_hits_;
    return MakeUnknown("call nesting too deep", true);
  }
  void NoteOpen(Frame& f, const std::string& prefix, const std::string& reason, TSNode where) {
    if (f.self) f.self->opens.push_back({prefix, reason, Loc(f, where)});
  }

  const ModuleIndex& project_;
  const LayerCatalog& catalog_;
  const PredictOptions& options_;
  std::unique_ptr<PredictionMemo> own_memo_;  // when the caller shares none
  PredictionMemo::Impl& memo_;
  int64_t steps_ = 0;
  bool budget_exhausted_ = false;
  int optional_depth_ = 0;  // inside a branch whose condition is unknown
  int pattern_depth_ = 0;   // inside a loop whose trip count is unknown
  int64_t depth_limit_hits_ = 0;  // calls and expressions cut off by the nesting bounds
  std::vector<SourceLocation> loops_;  // the `for` statements being executed, innermost last
  std::string symbol_key_;  // Resolve's lookup key, reused: built for every identifier evaluated
  std::string method_key_;  // MethodNode's, likewise
};

constexpr int kMaxDepth = 64;

// Finds method `name` in `cls` using the file's source (the last definition wins).
TSNode FindMethodNode(const IndexedFile& file, const ClassInfo* cls, const std::string& name);

}  // namespace ptlint::prediction

#endif  // PTLINT_ANALYZER_PYTHON_PREDICTION_INTERPRETER_H_
