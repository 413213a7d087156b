#include "analyzer/checkpoint/object_interpreter.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analyzer/checkpoint/optimizer_family.h"
#include "analyzer/support/flat_string_index.h"
#include "analyzer/support/large_array_allocator.h"

namespace ptlint {

StorageDtype StorageTypeDtype(std::string_view storage_class) {
  struct Row { std::string_view storage; StorageDtype dtype; };
  static constexpr Row kRows[] = {
      {"DoubleStorage", {"float64", 8}},
      {"FloatStorage", {"float32", 4}},
      {"HalfStorage", {"float16", 2}},
      {"BFloat16Storage", {"bfloat16", 2}},
      {"LongStorage", {"int64", 8}},
      {"IntStorage", {"int32", 4}},
      {"ShortStorage", {"int16", 2}},
      {"CharStorage", {"int8", 1}},
      {"ByteStorage", {"uint8", 1}},
      {"BoolStorage", {"bool", 1}},
      {"ComplexFloatStorage", {"complex64", 8}},
      {"ComplexDoubleStorage", {"complex128", 16}},
      {"QInt8Storage", {"qint8", 1}},
      {"QUInt8Storage", {"quint8", 1}},
      {"QInt32Storage", {"qint32", 4}},
      {"QUInt4x2Storage", {"quint4x2", 1}},
      {"QUInt2x4Storage", {"quint2x4", 1}},
      // Byte-addressed storages (2.x `_rebuild_tensor_v3`; 1.13 spells it with
      // a leading underscore): numel counts bytes.
      {"UntypedStorage", {"uint8", 1}},
      {"_UntypedStorage", {"uint8", 1}},
  };
  for (const Row& row : kRows) {
    if (row.storage == storage_class) return row.dtype;
  }
  return {"", 0};
}

namespace {

// Bounds. The graph itself is bounded by PickleLimits; these keep the
// interpretation of a hostile graph small and its output readable.
constexpr int kMaxTensorNesting = 16;        // _rebuild_parameter(_rebuild_from_type_v2(...))
constexpr size_t kMaxProblems = 64;          // object.* problems reported per checkpoint
constexpr size_t kMaxPathComponents = 256;   // a deeper path keeps its innermost part
constexpr size_t kMaxOptimizers = 64;
constexpr size_t kMaxReprChars = 200;        // a rendered key / option value

// torch.load's `load_module_mapping` plus the Python 2 module names pickle's
// compat mapping resolves.
std::string_view MappedModule(std::string_view module) {
  if (module == "torch.tensor") return "torch._tensor";
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return module;
}

std::string CanonicalDtype(std::string_view name) {
  struct Alias { std::string_view alias, canonical; };
  static constexpr Alias kAliases[] = {
      {"float", "float32"},   {"double", "float64"},   {"half", "float16"},
      {"long", "int64"},      {"int", "int32"},        {"short", "int16"},
      {"cfloat", "complex64"}, {"cdouble", "complex128"}, {"chalf", "complex32"},
  };
  for (const Alias& a : kAliases) {
    if (a.alias == name) return std::string(a.canonical);
  }
  return std::string(name);
}

// Python's repr() of a float: shortest round-trip digits, fixed notation for
// exponents in [-4, 16), scientific otherwise, always with a '.' or 'e'.
std::string PythonFloatRepr(double value) {
  if (value != value) return "nan";
  if (value == std::numeric_limits<double>::infinity()) return "inf";
  if (value == -std::numeric_limits<double>::infinity()) return "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]d[.ddd]e[+-]XX
  bool negative = !sci.empty() && sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (char c : mantissa) if (c != '.') digits += c;
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
      out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+',
                  exponent < 0 ? -exponent : exponent);
    out += exp_buf;
  }
  return negative ? "-" + out : out;
}

// Python's repr() of a str (or bytes when `is_bytes`).
std::string PythonStrRepr(std::string_view text, bool is_bytes, bool truncated) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out;
  out.reserve(text.size() + 3);
  if (is_bytes) out += 'b';
  out += quote;
  for (unsigned char c : text) {
    if (out.size() > kMaxReprChars) { truncated = true; break; }
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f || (is_bytes && c >= 0x80)) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (truncated) out += "...";
  out += quote;
  return out;
}

enum class LabelKind : uint8_t { kNone, kKey, kIndex, kAttr };

bool IsLeafKind(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone:
    case PickleKind::kBool:
    case PickleKind::kInt:
    case PickleKind::kBigInt:
    case PickleKind::kFloat:
    case PickleKind::kStr:
    case PickleKind::kBytes:
    case PickleKind::kExtension:
      return true;
    default:
      return false;
  }
}

// How a node was first reached in the walk: from `parent`, under a dict key
// (`key` node), a list/tuple index, an attribute (BUILD state key), or
// transparently (callee, args, persistent id, set member).
struct Edge {  // 16 bytes: one per node of the graph
  NodeId parent = kNoNode;
  LabelKind kind = LabelKind::kNone;
  NodeId key = kNoNode;
  uint32_t index = 0;  // list positions fit: a NodeList holds < 2^32 items
};

struct TensorEdge {
  NodeId tensor = kNoNode;
  Edge edge;
};

// A recognised rebuild call, interpreted once per node.
struct ParsedTensor {
  TensorInfo info;                             // everything but the name
  int storage = -1;                            // index into Checkpoint::storages
  std::vector<std::pair<std::string, int>> aux;  // inner tensors' storages: suffix, index
};

// What the interpreter keeps of a parsed tensor besides its TensorInfo,
// which goes straight into Checkpoint::tensors (see NameTensors).
struct ParsedStorage {
  int storage = -1;
  std::vector<std::pair<std::string, int>> aux;
};

// Roles a node can play for a global, strongest first.
enum class GlobalRole : uint8_t { kUnused, kValue, kBuild, kPersistentId, kNewObj, kReduce };

const char* GlobalRoleName(GlobalRole role) {
  switch (role) {
    case GlobalRole::kReduce: return "REDUCE";
    case GlobalRole::kNewObj: return "NEWOBJ";
    case GlobalRole::kPersistentId: return "persistent-id";
    case GlobalRole::kBuild: return "BUILD";
    case GlobalRole::kValue: return "value";
    case GlobalRole::kUnused: return "";
  }
  return "";
}

struct ModuleDictRole {
  std::string prefix;                      // "" or "layers.0."
  int module = -1;                         // index in Checkpoint::modules
  bool buffers = false;                    // a _buffers dict (else _parameters)
};

// Interprets one pickle's graph. The main pickle gets tensors and naming;
// every pickle gets the global walk.
class GraphInterpreter {
 public:
  GraphInterpreter(Checkpoint& checkpoint, const PickleStream& stream, bool recognise_tensors)
      : ck_(checkpoint), stream_(stream), g_(stream.graph), recognise_tensors_(recognise_tensors) {
    edge_.resize(g_.nodes.size());
    flags_.assign(g_.nodes.size(), 0);
    role_.assign(g_.nodes.size(), GlobalRole::kUnused);
    consumer_.assign(g_.nodes.size(), kNoNode);
    if (recognise_tensors_) {
      tensor_index_.assign(g_.nodes.size(), kUnparsed);
      pid_slot_.assign(g_.nodes.size(), -1);
      tensors_base_ = ck_.tensors.size();
      ReserveForTensors();
    }
  }

  // The walk; with cross_check_enabled, every ReplayDenseTensorWalk is
  // compared with the generic walk of the same node (see ReplayCheck).
  void Walk() { cross_check_enabled ? WalkImpl<true>() : WalkImpl<false>(); }
  // See its definition: the walk of a plain dense tensor's arguments, done
  // in one step when it can change nothing but visited marks and edges.
  // kLog: first records each (node, flags, edge) it is about to change in
  // check_.replayed.
  template <bool kLog = false>
  bool ReplayDenseTensorWalk(NodeId tensor);
  void RecordGlobals();
  void MarkUse(NodeId child, GlobalRole role, NodeId consumer) {
    if (child >= g_.nodes.size() || g_.nodes[child].kind != PickleKind::kGlobal) return;
    // Strongest role wins; among equals the first consumer (in walk order,
    // reachable before unreachable) is kept.
    if (role > role_[child]) {
      role_[child] = role;
      consumer_[child] = consumer;
    }
  }
  void InterpretMain();

  static inline bool cross_check_enabled =
#ifdef NDEBUG
      false;
#else
      true;
#endif

 private:
  template <bool kCrossCheck>
  void WalkImpl();
  // A node's walk marks, as the cross-check compares them.
  struct Marks {
    NodeId id;
    uint8_t flags;
    Edge edge;
  };
  // The cross-check of one replayed tensor: the replay's marks are recorded
  // and undone, the generic walk runs over the tensor's arguments, and when
  // the stack is back to `height` both must have left the same marks.
  struct ReplayCheck {
    bool active = false;
    NodeId tensor = kNoNode;
    size_t height = 0;
    size_t dict_nodes = 0, tensor_edges = 0, problems = 0;
    std::vector<Marks> replayed;   // before the replay's writes, in order
    std::vector<Marks> expected;   // after them
    std::vector<Marks> walked;     // before each of the generic walk's writes
    std::vector<NodeId> roles;     // globals whose role the generic walk may change
    std::vector<std::pair<GlobalRole, NodeId>> role_before;
  };
  void StartReplayCheck(NodeId tensor, size_t height);
  void FinishReplayCheck();
  ReplayCheck check_;
  static constexpr int32_t kUnparsed = -1;
  static constexpr int32_t kNotTensor = -2;
  static constexpr int32_t kInProgress = -3;
  static constexpr uint8_t kVisited = 1;
  static constexpr uint8_t kAttrDict = 2;       // a BUILD state: keys are attributes
  static constexpr uint8_t kTransparent = 4;    // a BUILD (state, slotstate) tuple
  static constexpr uint8_t kPidReported = 8;    // a bad persistent id already reported

  // --- node access -------------------------------------------------------
  const PickleNode* Node(NodeId id) const {
    return id < g_.nodes.size() ? &g_.nodes[id] : nullptr;
  }
  PickleKind KindOf(NodeId id) const {
    const PickleNode* n = Node(id);
    return n ? n->kind : PickleKind::kNone;
  }
  bool IsGlobal(NodeId id, std::string_view module, std::string_view name) const {
    const PickleNode* n = Node(id);
    return n && n->kind == PickleKind::kGlobal && MappedModule(n->text) == module && n->name == name;
  }
  const NodeList* Sequence(NodeId id) const {
    const PickleNode* n = Node(id);
    if (n && (n->kind == PickleKind::kTuple || n->kind == PickleKind::kList)) return &n->items;
    return nullptr;
  }
  const PickleText* Str(NodeId id) const {
    const PickleNode* n = Node(id);
    return n && n->kind == PickleKind::kStr ? &n->text : nullptr;
  }
  bool Int(NodeId id, int64_t& out) const {
    const PickleNode* n = Node(id);
    if (!n || (n->kind != PickleKind::kInt && n->kind != PickleKind::kBool)) return false;
    out = n->int_value;
    return true;
  }
  bool IntList(NodeId id, std::vector<int64_t>& out, int depth = 0) const;
  bool Bool(NodeId id, bool& out) const {
    int64_t v;
    if (!Int(id, v)) return false;
    out = v != 0;
    return true;
  }
  // The key/value pairs of a dict or of an opaque mapping object
  // (OrderedDict, defaultdict, dict subclasses filled by SETITEM(S)).
  const NodeList* DictItems(NodeId id) const;
  NodeId DictGet(NodeId dict, std::string_view key) const;
  // The attribute dict an object was BUILT with (its __dict__), or kNoNode.
  NodeId AttrDict(NodeId id) const;
  bool IsModuleLike(NodeId id) const;
  std::string Dtype(NodeId id) const;
  std::string Device(NodeId id) const;

  // --- tensors -------------------------------------------------------------
  // Sizes the tensor and storage tables from a count of rebuild calls and
  // persistent ids: growing them by doubling moved every TensorInfo several
  // times, and those first touches were half the page faults of reading a
  // 20,000-tensor state dict.
  void ReserveForTensors();
  // Index into parsed_ of the tensor node `id`, or kNotTensor. `depth` is the
  // nesting of rebuild calls that asked (0 from the walk).
  int32_t TensorIndex(NodeId id, int depth = 0);
  bool ParseCall(NodeId call, NodeId callee, NodeId args, int depth, ParsedTensor& out,
                 std::string& why);
  bool ParseInner(NodeId id, int depth, ParsedTensor& out, std::string& why);
  bool ParseStorage(NodeId pid, ParsedTensor& out, std::string& why);
  void NotePersistentId(NodeId pid);
  void AddAux(ParsedTensor& out, const std::string& suffix, const ParsedTensor& inner);
  void Problem(std::string code, Severity severity, std::string message, std::string hint,
               uint64_t offset);

  // --- paths ---------------------------------------------------------------
  std::string Repr(NodeId id, int depth = 0) const;
  std::string Label(const Edge& edge) const;
  std::string Path(NodeId id) const;
  std::string EdgePath(const Edge& edge);

  // --- main-pickle interpretation -----------------------------------------
  bool IsStateDictLike(NodeId id);
  void ClassifyLayout();
  void ReadMetadata(NodeId state_dict);
  void ReadModuleTree(NodeId root);
  void NameTensors();
  void ReadOptimizers();
  void ReadHyperParameters(NodeId hyper_parameters);
  void ReadLiteralDicts(const NodeList& top);
  std::optional<nlohmann::json> LiteralValue(NodeId id, int depth, size_t& budget) const;
  std::string RenderOption(NodeId id, int depth = 0) const;

  Checkpoint& ck_;
  const PickleStream& stream_;
  const PickleGraph& g_;
  bool recognise_tensors_;

  // Per-node tables (megabytes for a big pickle, see LargeArrayAllocator).
  template <class T>
  using NodeTable = std::vector<T, LargeArrayAllocator<T>>;
  NodeTable<Edge> edge_;
  NodeTable<uint8_t> flags_;
  std::vector<NodeId> dict_nodes_;   // visited dict-like nodes, in walk order
  // Per global node: the strongest use seen and its first consumer.
  NodeTable<GlobalRole> role_;
  NodeTable<NodeId> consumer_;
  std::vector<TensorEdge> tensor_edges_;
  NodeTable<int32_t> tensor_index_;
  // Per parsed tensor (index i): its TensorInfo is ck_.tensors[tensors_base_ + i]
  // until NameTensors puts them in walk order; storages here.
  size_t tensors_base_ = 0;
  NodeTable<ParsedStorage> parsed_;
  NodeTable<int32_t> pid_slot_;                   // pid node -> index in pid_storage_
  std::vector<std::pair<int, int64_t>> pid_storage_;  // storage index, view offset
  // Keys view the graph's arena, which outlives the interpreter.
  FlatStringIndex storage_by_key_;
  NodeId last_storage_class_ = kNoNode;            // StorageTypeDtype cache
  StorageDtype last_storage_dtype_{"", 0};

  NodeId primary_ = kNoNode;         // state dict or module whose tensors get bare names
  bool primary_is_module_ = false;
  std::unordered_map<NodeId, ModuleDictRole> module_dicts_;

  NodeId last_parent_ = kNoNode;     // EdgePath cache: siblings share a parent
  std::string last_parent_path_;
};

void GraphInterpreter::Problem(std::string code, Severity severity, std::string message,
                               std::string hint, uint64_t offset) {
  size_t object_problems = 0;
  for (const ReaderProblem& p : ck_.problems) {
    if (p.code.rfind("object.", 0) == 0) ++object_problems;
  }
  if (object_problems > kMaxProblems) return;
  ReaderProblem p;
  if (object_problems == kMaxProblems) {
    p.code = "object.too-many-problems";
    p.severity = Severity::kWarning;
    p.message = "more object-level problems were found; only the first " +
                std::to_string(kMaxProblems) + " are reported";
  } else {
    p.code = std::move(code);
    p.severity = severity;
    p.message = std::move(message);
    p.hint = std::move(hint);
    p.offset = static_cast<int64_t>(offset);
  }
  p.record = stream_.record;
  ck_.problems.push_back(std::move(p));
}

bool GraphInterpreter::IntList(NodeId id, std::vector<int64_t>& out, int depth) const {
  const PickleNode* n = Node(id);
  if (!n) return false;
  // torch.Size((2, 3)) is pickled as a call of the torch.Size class.
  if (n->kind == PickleKind::kCall && depth == 0 && IsGlobal(n->callee, "torch", "Size")) {
    const NodeList* args = Sequence(n->args);
    if (!args || args->size() != 1) return false;
    return IntList((*args)[0], out, 1);
  }
  const NodeList* items = Sequence(id);
  if (!items) return false;
  out.clear();
  out.reserve(items->size());
  for (NodeId item : *items) {
    int64_t v;
    if (!Int(item, v)) return false;
    out.push_back(v);
  }
  return true;
}

const NodeList* GraphInterpreter::DictItems(NodeId id) const {
  const PickleNode* n = Node(id);
  if (!n) return nullptr;
  if (n->kind == PickleKind::kDict) return &n->items;
  if (n->kind == PickleKind::kCall || n->kind == PickleKind::kNewObj) {
    if (!n->set_items.empty()) return &n->set_items;
    if (IsGlobal(n->callee, "collections", "OrderedDict") ||
        IsGlobal(n->callee, "builtins", "dict") ||
        IsGlobal(n->callee, "collections", "defaultdict")) {
      return &n->set_items;
    }
  }
  return nullptr;
}

NodeId GraphInterpreter::DictGet(NodeId dict, std::string_view key) const {
  const NodeList* items = DictItems(dict);
  if (!items) return kNoNode;
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    const PickleText* k = Str((*items)[i]);
    if (k && *k == key) return (*items)[i + 1];
  }
  return kNoNode;
}

NodeId GraphInterpreter::AttrDict(NodeId id) const {
  const PickleNode* n = Node(id);
  if (!n || (n->kind != PickleKind::kCall && n->kind != PickleKind::kNewObj)) return kNoNode;
  for (NodeId b : n->builds) {
    if (KindOf(b) == PickleKind::kDict) return b;
    // (state, slotstate) from objects with __slots__.
    const NodeList* pair = Sequence(b);
    if (pair && KindOf(b) == PickleKind::kTuple && pair->size() == 2 &&
        KindOf((*pair)[0]) == PickleKind::kDict) {
      return (*pair)[0];
    }
  }
  return kNoNode;
}

bool GraphInterpreter::IsModuleLike(NodeId id) const {
  NodeId attrs = AttrDict(id);
  if (attrs == kNoNode) return false;
  return DictGet(attrs, "_modules") != kNoNode && DictGet(attrs, "_parameters") != kNoNode;
}

std::string GraphInterpreter::Dtype(NodeId id) const {
  const PickleNode* n = Node(id);
  if (!n || n->kind != PickleKind::kGlobal || MappedModule(n->text) != "torch") return "";
  return CanonicalDtype(n->name);
}

std::string GraphInterpreter::Device(NodeId id) const {
  const PickleNode* n = Node(id);
  if (!n) return "";
  if (n->kind == PickleKind::kStr) return n->text;
  // torch.device('cuda', 0) / torch.device('cuda:0')
  if (n->kind == PickleKind::kCall && IsGlobal(n->callee, "torch", "device")) {
    const NodeList* args = Sequence(n->args);
    if (!args || args->empty()) return "";
    const PickleText* type = Str((*args)[0]);
    if (!type) return "";
    int64_t index;
    if (args->size() >= 2 && Int((*args)[1], index)) return *type + ":" + std::to_string(index);
    return *type;
  }
  return "";
}

// ---------------------------------------------------------------------------
// Tensors

void GraphInterpreter::ReserveForTensors() {
  size_t calls = 0, pids = 0;
  for (const PickleNode& n : g_.nodes) {
    if (n.kind == PickleKind::kPersistentId) {
      ++pids;
    } else if (n.kind == PickleKind::kCall && n.callee < g_.nodes.size()) {
      const PickleNode& callee = g_.nodes[n.callee];
      if (callee.kind == PickleKind::kGlobal && callee.name.view().rfind("_rebuild_", 0) == 0) ++calls;
    }
  }
  parsed_.reserve(calls);
  tensor_edges_.reserve(calls);
  ck_.tensors.reserve(ck_.tensors.size() + calls);
  ck_.storages.reserve(ck_.storages.size() + pids);
  storage_by_key_.Reserve(pids);
}

int32_t GraphInterpreter::TensorIndex(NodeId id, int depth) {
  if (!recognise_tensors_ || id >= tensor_index_.size()) return kNotTensor;
  int32_t& slot = tensor_index_[id];
  if (slot != kUnparsed) return slot == kInProgress ? kNotTensor : slot;
  const PickleNode& n = g_.nodes[id];
  const PickleNode* callee = n.kind == PickleKind::kCall ? Node(n.callee) : nullptr;
  if (!callee || callee->kind != PickleKind::kGlobal) return slot = kNotTensor;
  std::string_view module = MappedModule(callee->text);
  bool rebuild = (module == "torch._utils" && callee->name.rfind("_rebuild_", 0) == 0) ||
                 (module == "torch._tensor" && callee->name == "_rebuild_from_type_v2");
  // torch._utils._rebuild_device_tensor_from_numpy etc. are all tensors;
  // other torch._utils helpers (e.g. _rebuild_*_storage) are not, but no
  // honest checkpoint calls them from an object position.
  if (!rebuild) return slot = kNotTensor;
  slot = kInProgress;
  ParsedTensor parsed;
  std::string why;
  if (!ParseCall(id, n.callee, n.args, depth, parsed, why)) {
    // An inner tensor that fails makes its outer call fail too; report once,
    // at the outermost call.
    if (depth == 0) Problem("object.unrecognised-tensor", Severity::kWarning,
            "the call " + std::string(callee->text) + "." + callee->name + " at byte " +
                std::to_string(n.offset) + " does not have the shape torch writes: " + why,
            "the tensor is left out of the key and shape checks; the file may come from a newer "
            "torch or may have been edited by hand",
            n.offset);
    return slot = kNotTensor;
  }
  parsed.info.pickle = stream_.index;
  parsed.info.offset = n.offset;
  ck_.tensors.push_back(std::move(parsed.info));
  parsed_.push_back(ParsedStorage{parsed.storage, std::move(parsed.aux)});
  return slot = static_cast<int32_t>(parsed_.size() - 1);
}

bool GraphInterpreter::ParseInner(NodeId id, int depth, ParsedTensor& out, std::string& why) {
  if (depth > kMaxTensorNesting) {
    why = "tensor rebuild calls nested more than " + std::to_string(kMaxTensorNesting) + " deep";
    return false;
  }
  int32_t index = TensorIndex(id, depth);
  if (index < 0) {
    if (why.empty()) why = "an argument that should be a tensor is not a recognised tensor";
    return false;
  }
  out.info = ck_.tensors[tensors_base_ + index];
  out.storage = parsed_[index].storage;
  out.aux = parsed_[index].aux;
  return true;
}

void GraphInterpreter::AddAux(ParsedTensor& out, const std::string& suffix,
                              const ParsedTensor& inner) {
  if (inner.storage >= 0) out.aux.emplace_back(suffix, inner.storage);
  for (const auto& [inner_suffix, storage] : inner.aux) {
    out.aux.emplace_back(suffix + "." + inner_suffix, storage);
  }
}

bool GraphInterpreter::ParseStorage(NodeId pid_node, ParsedTensor& out, std::string& why) {
  const PickleNode* pid = Node(pid_node);
  if (!pid || pid->kind != PickleKind::kPersistentId) {
    why = "the storage argument is not a persistent id";
    return false;
  }
  if (pid_slot_[pid_node] >= 0) {
    const auto& cached = pid_storage_[pid_slot_[pid_node]];
    out.storage = cached.first;
    out.info.storage_offset += cached.second;
    const StorageInfo& s = ck_.storages[out.storage];
    out.info.storage_key = s.key;
    out.info.location = s.location;
    if (out.info.dtype.empty()) out.info.dtype = s.dtype;
    return true;
  }
  const NodeList* t = Sequence(pid->args);
  const PickleText* tag = t && !t->empty() ? Str((*t)[0]) : nullptr;
  // Whatever goes wrong below is reported once, by whoever asked first.
  flags_[pid_node] |= kPidReported;
  if (!t || KindOf(pid->args) != PickleKind::kTuple || !tag || *tag != "storage" ||
      (t->size() != 5 && t->size() != 6)) {
    why = "the persistent id at byte " + std::to_string(pid->offset) +
          " is not ('storage', class, key, location, numel[, view])";
    return false;
  }
  const PickleNode* cls = Node((*t)[1]);
  const PickleText* key = Str((*t)[2]);
  const PickleText* location = Str((*t)[3]);
  int64_t numel;
  if (!cls || cls->kind != PickleKind::kGlobal || !key || !location || !Int((*t)[4], numel) ||
      numel < 0) {
    why = "the persistent id at byte " + std::to_string(pid->offset) +
          " has a malformed storage class, key, location or numel";
    return false;
  }
  int64_t view_offset = 0;
  if (t->size() == 6 && KindOf((*t)[5]) != PickleKind::kNone) {
    // Legacy view_metadata = (view_key, offset, size): the tensor's storage
    // is a slice of the root storage starting at `offset` elements.
    const NodeList* view = Sequence((*t)[5]);
    if (!view || view->size() != 3 || !Str((*view)[0]) || !Int((*view)[1], view_offset) ||
        view_offset < 0) {
      why = "the legacy view metadata at byte " + std::to_string(pid->offset) +
            " is not (view_key, offset, size)";
      return false;
    }
  }
  if ((*t)[1] != last_storage_class_) {
    last_storage_class_ = (*t)[1];
    last_storage_dtype_ = StorageTypeDtype(cls->name);
  }
  StorageDtype dtype = last_storage_dtype_;
  auto [found, inserted] =
      storage_by_key_.Emplace(key->view(), static_cast<uint32_t>(ck_.storages.size()));
  int index = static_cast<int>(found);
  if (inserted) {
    // Built in place, strings constructed rather than assigned: assigning
    // into an empty std::string costs a generic _M_replace per field, and
    // a 20,000-tensor state dict has 20,000 storages.
    StorageInfo& s = ck_.storages.emplace_back();
    s.key = std::string(key->view());
    s.storage_type = std::string(cls->name.view());
    s.dtype = std::string(dtype.dtype);
    s.element_size = dtype.element_size;
    s.numel = static_cast<uint64_t>(numel);
    s.location = std::string(location->view());
  } else {
    const StorageInfo& s = ck_.storages[index];
    if (s.storage_type != cls->name || s.numel != static_cast<uint64_t>(numel)) {
      Problem("object.storage-conflict", Severity::kWarning,
              "storage '" + *key + "' is declared again at byte " + std::to_string(pid->offset) +
                  " as " + cls->name + " with " + std::to_string(numel) + " elements; first as " +
                  s.storage_type + " with " + std::to_string(s.numel),
              "torch.load uses the first declaration; the file was probably edited by hand",
              pid->offset);
    }
  }
  flags_[pid_node] &= ~kPidReported;
  pid_slot_[pid_node] = static_cast<int32_t>(pid_storage_.size());
  pid_storage_.emplace_back(index, view_offset);
  const StorageInfo& s = ck_.storages[index];
  out.storage = index;
  out.info.storage_key = s.key;
  out.info.location = s.location;
  out.info.storage_offset += view_offset;
  if (out.info.dtype.empty()) out.info.dtype = s.dtype;
  return true;
}

// A persistent id met anywhere in the main pickle: a storage outside a
// rebuild call (torch.save(t.untyped_storage())) is still a storage whose
// record must exist; legacy ('module', class, file, source) ids are class
// references; anything else is a shape torch does not write.
void GraphInterpreter::NotePersistentId(NodeId pid_node) {
  if (pid_slot_[pid_node] >= 0 || (flags_[pid_node] & kPidReported)) return;
  const PickleNode& pid = g_.nodes[pid_node];
  const NodeList* t = Sequence(pid.args);
  const PickleText* tag = t && !t->empty() ? Str((*t)[0]) : nullptr;
  if (tag && *tag == "module") return;
  ParsedTensor unused;
  std::string why;
  if (!ParseStorage(pid_node, unused, why)) {
    Problem("object.unrecognised-tensor", Severity::kWarning,
            "unrecognised persistent id: " + why,
            "torch.load would pass it to its persistent_load and fail or misread the file; "
            "the file may come from another library's pickler or have been edited",
            pid.offset);
  }
}

bool GraphInterpreter::ParseCall(NodeId call, NodeId callee_id, NodeId args_id, int depth,
                                 ParsedTensor& out, std::string& why) {
  const PickleNode* callee = Node(callee_id);
  if (!callee || callee->kind != PickleKind::kGlobal) {
    why = "the callee is not a global";
    return false;
  }
  const NodeList* a = Sequence(args_id);
  if (!a) {
    why = "the arguments are not a tuple";
    return false;
  }
  std::string_view fn = callee->name.view();
  std::string_view module = MappedModule(callee->text);
  TensorInfo& info = out.info;
  auto need = [&](size_t n) {
    if (a->size() >= n) return true;
    why = std::to_string(a->size()) + " arguments, expected at least " + std::to_string(n);
    return false;
  };
  // storage, offset, size, stride: the common prefix of the dense rebuilds.
  auto dense = [&]() {
    int64_t offset;
    if (!Int((*a)[1], offset) || offset < 0) { why = "the storage offset is not an int"; return false; }
    info.storage_offset = offset;
    if (!IntList((*a)[2], info.shape)) { why = "the size is not a tuple of ints"; return false; }
    if (!IntList((*a)[3], info.stride)) { why = "the stride is not a tuple of ints"; return false; }
    return ParseStorage((*a)[0], out, why);
  };

  if (module == "torch._tensor" && fn == "_rebuild_from_type_v2") {
    // (func, new_type, args, state): the tensor is func(*args), retyped.
    if (!need(3)) return false;
    if (depth >= kMaxTensorNesting) { why = "rebuild calls nested too deep"; return false; }
    const PickleNode* inner = Node((*a)[0]);
    if (!inner || inner->kind != PickleKind::kGlobal ||
        MappedModule(inner->text) != "torch._utils") {
      why = "the rebuild function of _rebuild_from_type_v2 is not a torch._utils global";
      return false;
    }
    return ParseCall(call, (*a)[0], (*a)[2], depth + 1, out, why);
  }
  if (module != "torch._utils") {
    why = "unknown rebuild module";
    return false;
  }
  info.rebuild = std::string(fn);
  if (fn == "_rebuild_tensor") {
    return need(4) && dense();
  }
  if (fn == "_rebuild_tensor_v2") {
    if (!need(4) || !dense()) return false;
    if (a->size() >= 5) Bool((*a)[4], info.requires_grad);
    return true;
  }
  if (fn == "_rebuild_tensor_v3") {
    if (!need(7) || !dense()) return false;
    Bool((*a)[4], info.requires_grad);
    info.dtype = Dtype((*a)[6]);
    if (info.dtype.empty()) { why = "the dtype argument is not a torch dtype"; return false; }
    return true;
  }
  if (fn == "_rebuild_parameter" || fn == "_rebuild_parameter_with_state") {
    if (!need(2)) return false;
    if (!ParseInner((*a)[0], depth + 1, out, why)) return false;
    info.is_parameter = true;
    info.requires_grad = false;
    Bool((*a)[1], info.requires_grad);
    return true;
  }
  if (fn == "_rebuild_qtensor") {
    if (!need(5) || !dense()) return false;
    info.kind = "quantized";
    if (a->size() >= 6) Bool((*a)[5], info.requires_grad);
    const NodeList* q = Sequence((*a)[4]);
    const PickleNode* scheme = q && !q->empty() ? Node((*q)[0]) : nullptr;
    if (!scheme || scheme->kind != PickleKind::kGlobal) {
      why = "the quantizer parameters do not start with a qscheme";
      return false;
    }
    info.qscheme = scheme->name;
    if (scheme->name.rfind("per_channel", 0) == 0) {
      // (qscheme, scales tensor, zero_points tensor, axis). The per-channel
      // tensors are not state entries: their storages are recorded under
      // "<name>.<q_per_channel_scales>" / ".<q_per_channel_zero_points>".
      if (q->size() < 4) { why = "per-channel quantizer parameters need 4 items"; return false; }
      ParsedTensor scales, zero_points;
      if (!ParseInner((*q)[1], depth + 1, scales, why) ||
          !ParseInner((*q)[2], depth + 1, zero_points, why)) {
        return false;
      }
      AddAux(out, "<q_per_channel_scales>", scales);
      AddAux(out, "<q_per_channel_zero_points>", zero_points);
    }
    return true;
  }
  if (fn == "_rebuild_sparse_tensor" || fn == "_rebuild_sparse_csr_tensor") {
    // (layout, data); layout is torch.serialization._get_layout('torch.sparse_coo')
    // in 1.13 or a torch.sparse_* global.
    if (!need(2)) return false;
    std::string layout;
    const PickleNode* l = Node((*a)[0]);
    if (l && l->kind == PickleKind::kGlobal) {
      layout = l->name;
    } else if (l && l->kind == PickleKind::kCall) {
      const NodeList* largs = Sequence(l->args);
      const PickleText* text = largs && largs->size() == 1 ? Str((*largs)[0]) : nullptr;
      if (text) layout = text->rfind("torch.", 0) == 0 ? text->substr(6) : *text;
    }
    if (layout.rfind("sparse_", 0) != 0) { why = "the layout is not a torch.sparse_* layout"; return false; }
    const NodeList* data = Sequence((*a)[1]);
    static const char* const kCooParts[] = {"<indices>", "<values>"};
    static const char* const kCompressedParts[] = {"<compressed_indices>", "<plain_indices>", "<values>"};
    bool coo = layout == "sparse_coo";
    size_t parts = coo ? 2 : 3;
    if (!data || data->size() < parts + 1) { why = "the sparse data tuple is too short"; return false; }
    ParsedTensor values;
    for (size_t i = 0; i < parts; ++i) {
      ParsedTensor part;
      if (!ParseInner((*data)[i], depth + 1, part, why)) return false;
      AddAux(out, coo ? kCooParts[i] : kCompressedParts[i], part);
      if (i + 1 == parts) values = std::move(part);
    }
    if (!IntList((*data)[parts], info.shape)) { why = "the sparse size is not a tuple of ints"; return false; }
    info.dtype = values.info.dtype;
    info.location = values.info.location;
    info.kind = layout;
    return true;
  }
  if (fn == "_rebuild_meta_tensor_no_storage") {
    // (dtype, size, stride, requires_grad)
    if (!need(3)) return false;
    info.dtype = Dtype((*a)[0]);
    if (info.dtype.empty()) { why = "the dtype argument is not a torch dtype"; return false; }
    if (!IntList((*a)[1], info.shape) || !IntList((*a)[2], info.stride)) {
      why = "the size or stride is not a tuple of ints";
      return false;
    }
    if (a->size() >= 4) Bool((*a)[3], info.requires_grad);
    info.kind = "meta";
    info.location = "meta";
    return true;
  }
  if (fn == "_rebuild_wrapper_subclass") {
    // (cls, dtype, size, stride, storage_offset, layout, device, requires_grad)
    if (!need(7)) return false;
    info.dtype = Dtype((*a)[1]);
    int64_t offset = 0;
    if (info.dtype.empty() || !IntList((*a)[2], info.shape) || !IntList((*a)[3], info.stride) ||
        !Int((*a)[4], offset)) {
      why = "the dtype, size, stride or offset is malformed";
      return false;
    }
    info.storage_offset = offset;
    info.location = Device((*a)[6]);
    if (a->size() >= 8) Bool((*a)[7], info.requires_grad);
    info.kind = "wrapper_subclass";
    return true;
  }
  if (fn == "_rebuild_device_tensor_from_numpy" || fn == "_rebuild_xla_tensor") {
    // (numpy array, dtype, device, requires_grad); the array is
    // numpy.core.multiarray._reconstruct(...) BUILT with (version, shape, dtype, fortran, data).
    if (!need(3)) return false;
    info.dtype = Dtype((*a)[1]);
    if (info.dtype.empty()) { why = "the dtype argument is not a torch dtype"; return false; }
    info.location = Device((*a)[2]);
    if (a->size() >= 4) Bool((*a)[3], info.requires_grad);
    const PickleNode* array = Node((*a)[0]);
    const NodeList* state =
        array && !array->builds.empty() ? Sequence(array->builds.front()) : nullptr;
    if (!state || state->size() < 2 || !IntList((*state)[1], info.shape)) {
      why = "the numpy array's shape cannot be read";
      return false;
    }
    info.kind = "dense";
    return true;
  }
  if (fn == "_rebuild_device_tensor_from_cpu_tensor") {
    // (cpu tensor, dtype, device, requires_grad)
    if (!need(3)) return false;
    if (!ParseInner((*a)[0], depth + 1, out, why)) return false;
    std::string device = Device((*a)[2]);
    if (!device.empty()) info.location = device;
    std::string dtype = Dtype((*a)[1]);
    if (!dtype.empty()) info.dtype = dtype;
    if (a->size() >= 4) Bool((*a)[3], info.requires_grad);
    return true;
  }
  if (fn == "_rebuild_nested_tensor") {
    // (buffer, sizes, strides, storage_offsets): one flat buffer tensor.
    if (!need(2)) return false;
    ParsedTensor buffer;
    if (!ParseInner((*a)[0], depth + 1, buffer, why)) return false;
    info.dtype = buffer.info.dtype;
    info.location = buffer.info.location;
    info.shape = buffer.info.shape;
    info.stride = buffer.info.stride;
    info.requires_grad = buffer.info.requires_grad;
    AddAux(out, "<buffer>", buffer);
    for (size_t i = 1; i < std::min<size_t>(a->size(), 4); ++i) {
      static const char* const kParts[] = {"", "<sizes>", "<strides>", "<storage_offsets>"};
      ParsedTensor part;
      std::string ignored;
      if (ParseInner((*a)[i], depth + 1, part, ignored)) AddAux(out, kParts[i], part);
    }
    info.kind = "nested";
    return true;
  }
  why = "unknown rebuild function torch._utils." + std::string(fn);
  return false;
}

// ---------------------------------------------------------------------------
// Walk and paths

template <bool kCrossCheck>
void GraphInterpreter::WalkImpl() {
  // (kCrossCheck) Notes a node's marks before the generic walk writes them.
  auto note = [&](NodeId id) {
    if constexpr (kCrossCheck) {
      if (check_.active) check_.walked.push_back({id, flags_[id], edge_[id]});
    }
  };
  auto mark_use = [&](NodeId child, GlobalRole role, NodeId consumer) {
    if constexpr (kCrossCheck) {
      if (check_.active && child < g_.nodes.size()) {
        check_.roles.push_back(child);
        check_.role_before.push_back({role_[child], consumer_[child]});
      }
    }
    MarkUse(child, role, consumer);
  };
  auto n_is_dict_like = [](const PickleNode& n) {
    return n.kind == PickleKind::kDict ||
           ((n.kind == PickleKind::kCall || n.kind == PickleKind::kNewObj) && !n.set_items.empty());
  };
  if (g_.root == kNoNode || g_.root >= g_.nodes.size()) return;
  struct Item {
    NodeId child;
    Edge edge;
    bool internal;  // inside a tensor's rebuild arguments
  };
  // (A 20,000-entry state dict puts 40,000 items on it at once.)
  NodeTable<Item> stack;
  stack.push_back({g_.root, Edge{}, false});
  while (!stack.empty()) {
    if constexpr (kCrossCheck) {
      if (check_.active && stack.size() == check_.height) FinishReplayCheck();
    }
    Item item = stack.back();
    stack.pop_back();
    NodeId id = item.child;
    if (id >= g_.nodes.size()) continue;
    int32_t tensor = kNotTensor;
    if (recognise_tensors_) {
      // (Inline for the node already classified, the common case.)
      int32_t slot = tensor_index_[id];
      tensor = slot == kUnparsed ? TensorIndex(id) : slot == kInProgress ? kNotTensor : slot;
    }
    if (tensor >= 0 && !item.internal) tensor_edges_.push_back({id, item.edge});
    if (flags_[id] & kVisited) continue;
    note(id);
    flags_[id] |= kVisited;
    edge_[id] = item.edge;
    if (n_is_dict_like(g_.nodes[id])) dict_nodes_.push_back(id);
    if (recognise_tensors_ && g_.nodes[id].kind == PickleKind::kPersistentId) NotePersistentId(id);

    const PickleNode& n = g_.nodes[id];
    bool internal = item.internal || tensor >= 0;
    if constexpr (kCrossCheck) {
      // Replay, record and undo, then walk generically and compare.
      if (tensor >= 0 && !check_.active) StartReplayCheck(id, stack.size());
    } else {
      if (tensor >= 0 && ReplayDenseTensorWalk(id)) continue;
    }
    bool attrs = flags_[id] & kAttrDict;
    bool transparent = flags_[id] & kTransparent;
    // Children go on the stack in order, then that run is reversed so the
    // first child is walked first.
    const size_t first_child = stack.size();
    auto push = [&](NodeId child, LabelKind kind, NodeId key, uint32_t index,
                    GlobalRole role = GlobalRole::kValue) __attribute__((always_inline)) {
      if (child >= g_.nodes.size()) return;
      PickleKind child_kind = g_.nodes[child].kind;
      // Scalars (None, bools, numbers, strings, bytes, extension codes) have
      // no children, are never tensors, globals or dicts, and no path is ever
      // asked of them: visiting one would only record an edge nobody reads.
      // (A state dict's keys and a storage's key and numel are most of them.)
      if (IsLeafKind(child_kind)) {
        note(child);
        flags_[child] |= kVisited;  // reached: RecordGlobals need not read it again
        return;
      }
      if (child_kind == PickleKind::kGlobal) mark_use(child, role, id);
      // A node already walked matters again only as a tensor (each reference
      // is a name of its own); shared ints, None, memoized strings and
      // globals are not pushed again.
      if (child < flags_.size() && (flags_[child] & kVisited) &&
          (!recognise_tensors_ || tensor_index_[child] < 0)) {
        return;
      }
      stack.push_back({child, Edge{id, kind, key, index}, internal});
    };
    auto push_pairs = [&](const NodeList& items) {
      for (size_t i = 0; i + 1 < items.size(); i += 2) {
        push(items[i], LabelKind::kNone, kNoNode, 0);
        push(items[i + 1], attrs ? LabelKind::kAttr : LabelKind::kKey, items[i], 0);
      }
    };
    switch (n.kind) {
      case PickleKind::kTuple:
      case PickleKind::kList:
        for (size_t i = 0; i < n.items.size(); ++i) {
          if (transparent) {
            push(n.items[i], LabelKind::kNone, kNoNode, 0);
          } else {
            push(n.items[i], LabelKind::kIndex, kNoNode, static_cast<uint32_t>(i));
          }
        }
        break;
      case PickleKind::kSet:
      case PickleKind::kFrozenSet:
        for (NodeId child : n.items) push(child, LabelKind::kNone, kNoNode, 0);
        break;
      case PickleKind::kDict:
        push_pairs(n.items);
        break;
      case PickleKind::kCall:
      case PickleKind::kNewObj:
        push(n.callee, LabelKind::kNone, kNoNode, 0,
             n.kind == PickleKind::kCall ? GlobalRole::kReduce : GlobalRole::kNewObj);
        push(n.args, LabelKind::kNone, kNoNode, 0);
        push(n.kwargs, LabelKind::kNone, kNoNode, 0);
        push_pairs(n.set_items);
        for (size_t i = 0; i < n.appended.size(); ++i) {
          push(n.appended[i], LabelKind::kIndex, kNoNode, static_cast<uint32_t>(i));
        }
        for (NodeId b : n.builds) {
          if (b >= g_.nodes.size()) continue;
          if (!(flags_[b] & kVisited)) {
            note(b);
            if (g_.nodes[b].kind == PickleKind::kDict) {
              flags_[b] |= kAttrDict;
            } else if (g_.nodes[b].kind == PickleKind::kTuple && g_.nodes[b].items.size() == 2) {
              flags_[b] |= kTransparent;
              for (NodeId part : g_.nodes[b].items) {
                if (part < g_.nodes.size() && !(flags_[part] & kVisited) &&
                    g_.nodes[part].kind == PickleKind::kDict) {
                  note(part);
                  flags_[part] |= kAttrDict;
                }
              }
            }
          }
          push(b, LabelKind::kNone, kNoNode, 0, GlobalRole::kBuild);
        }
        break;
      case PickleKind::kPersistentId:
        push(n.args, LabelKind::kNone, kNoNode, 0, GlobalRole::kPersistentId);
        if (const PickleNode* pid = Node(n.args); pid && pid->kind == PickleKind::kTuple) {
          for (NodeId c : pid->items) mark_use(c, GlobalRole::kPersistentId, id);
        }
        break;
      default:
        break;
    }
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first_child), stack.end());
  }
  if constexpr (kCrossCheck) {
    if (check_.active) FinishReplayCheck();
  }
}

void GraphInterpreter::StartReplayCheck(NodeId tensor, size_t height) {
  check_.replayed.clear();
  if (!ReplayDenseTensorWalk<true>(tensor)) return;  // declined: the generic walk only
  check_.expected.clear();
  for (const Marks& m : check_.replayed) check_.expected.push_back({m.id, flags_[m.id], edge_[m.id]});
  for (auto it = check_.replayed.rbegin(); it != check_.replayed.rend(); ++it) {
    flags_[it->id] = it->flags;
    edge_[it->id] = it->edge;
  }
  check_.active = true;
  check_.tensor = tensor;
  check_.height = height;
  check_.dict_nodes = dict_nodes_.size();
  check_.tensor_edges = tensor_edges_.size();
  check_.problems = ck_.problems.size();
  check_.walked.clear();
  check_.roles.clear();
  check_.role_before.clear();
}

void GraphInterpreter::FinishReplayCheck() {
  check_.active = false;
  auto same = [](const Marks& a, uint8_t flags, const Edge& e) {
    return a.flags == flags && a.edge.parent == e.parent && a.edge.kind == e.kind &&
           a.edge.key == e.key && a.edge.index == e.index;
  };
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr,
                 "ptlint: internal error: ReplayDenseTensorWalk and the generic walk differ at "
                 "tensor node %u (offset %llu): %s\n",
                 static_cast<unsigned>(check_.tensor),
                 static_cast<unsigned long long>(g_.nodes[check_.tensor].offset), what.c_str());
    std::abort();
  };
  // Every node either side changed: the marks the replay left (for a node
  // it did not touch, the marks from before) against what the walk left.
  std::unordered_map<NodeId, Marks> replay_final;
  for (const Marks& m : check_.walked) replay_final.emplace(m.id, m);  // the first: before the walk
  for (const Marks& m : check_.expected) replay_final[m.id] = m;  // the last: after the replay
  for (const auto& [id, m] : replay_final) {
    if (!same(m, flags_[id], edge_[id])) fail("the marks of node " + std::to_string(id));
  }
  for (size_t i = 0; i < check_.roles.size(); ++i) {
    NodeId id = check_.roles[i];
    if (role_[id] != check_.role_before[i].first || consumer_[id] != check_.role_before[i].second) {
      fail("the role of global node " + std::to_string(id));
    }
  }
  if (dict_nodes_.size() != check_.dict_nodes) fail("dict nodes");
  if (tensor_edges_.size() != check_.tensor_edges) fail("tensor edges");
  if (ck_.problems.size() != check_.problems) fail("problems");
}

// Walking a tensor's rebuild arguments visits ~7 nodes (argument tuple,
// persistent id and its tuple, size, stride, backward-hooks call) and marks
// the globals in them (the rebuild function, the storage class, OrderedDict).
// In a state dict every tensor after the first repeats exactly that: its
// globals already hold the role the walk would give them (a role only
// changes when a stronger one comes), so the walk's only lasting effect is
// the visited mark and edge of each argument node. When the arguments have
// precisely torch.save's dense shape, this records those marks and edges
// directly, in the order the walk would, and returns true; anything else
// (a global seen for the first time, shared or flagged argument nodes, extra
// arguments, a hooks dict with entries, state on the call) returns false and
// the node is walked as usual. A 20,000-tensor state dict walks 20,000
// nodes instead of 140,000.
template <bool kLog>
bool GraphInterpreter::ReplayDenseTensorWalk(NodeId tensor) {
  const size_t count = g_.nodes.size();
  const PickleNode& t = g_.nodes[tensor];
  auto fresh = [&](NodeId id, PickleKind kind) {  // an unvisited, unflagged node of `kind`
    return id < count && g_.nodes[id].kind == kind && flags_[id] == 0;
  };
  auto leaf = [&](NodeId id) { return id < count && IsLeafKind(g_.nodes[id].kind); };
  auto ready = [&](NodeId id, GlobalRole role) {  // a global the walk already marked at least so
    return id < count && g_.nodes[id].kind == PickleKind::kGlobal && (flags_[id] & kVisited) &&
           role_[id] >= role;
  };
  auto no_state = [](const PickleNode& n) {
    return n.kwargs == kNoNode && n.builds.empty() && n.appended.empty() && n.set_items.empty();
  };
  auto all_leaves = [&](const NodeList& items) {
    for (NodeId c : items) {
      if (!leaf(c)) return false;
    }
    return true;
  };
  if (t.kind != PickleKind::kCall || !no_state(t) || !ready(t.callee, GlobalRole::kReduce)) return false;
  const NodeId args = t.args;
  if (!fresh(args, PickleKind::kTuple)) return false;
  const NodeList& a = g_.nodes[args].items;
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
  if (a.size() != 6) return false;
  const NodeId pid = a[0], size = a[2], stride = a[3], hooks = a[5];
  if (!fresh(pid, PickleKind::kPersistentId) || !leaf(a[1]) || !fresh(size, PickleKind::kTuple) ||
      !fresh(stride, PickleKind::kTuple) || !leaf(a[4]) || !fresh(hooks, PickleKind::kCall)) {
    return false;
  }
  const NodeId pid_tuple = g_.nodes[pid].args;
  if (!fresh(pid_tuple, PickleKind::kTuple) || pid_slot_[pid] < 0) return false;
  for (NodeId c : g_.nodes[pid_tuple].items) {
    if (!leaf(c) && !ready(c, GlobalRole::kPersistentId)) return false;
  }
  if (!all_leaves(g_.nodes[size].items) || !all_leaves(g_.nodes[stride].items)) return false;
  const PickleNode& h = g_.nodes[hooks];
  if (!no_state(h) || !ready(h.callee, GlobalRole::kReduce) || TensorIndex(hooks) != kNotTensor) {
    return false;
  }
  const NodeId hooks_args = h.args;
  const bool hooks_args_seen = hooks_args < count && (flags_[hooks_args] & kVisited);
  if (!hooks_args_seen) {
    if (!fresh(hooks_args, PickleKind::kTuple) || !all_leaves(g_.nodes[hooks_args].items)) return false;
  }

  // What the walk would record, in its order.
  auto log = [&](NodeId id) {
    if constexpr (kLog) check_.replayed.push_back({id, flags_[id], edge_[id]});
  };
  auto visit = [&](NodeId id, Edge edge) {
    log(id);
    flags_[id] |= kVisited;
    edge_[id] = edge;
  };
  auto mark = [&](NodeId id) {
    log(id);
    flags_[id] |= kVisited;
  };
  auto mark_leaves = [&](const NodeList& items) {
    for (NodeId c : items) mark(c);
  };
  visit(args, Edge{tensor, LabelKind::kNone, kNoNode, 0});
  visit(pid, Edge{args, LabelKind::kIndex, kNoNode, 0});
  visit(pid_tuple, Edge{pid, LabelKind::kNone, kNoNode, 0});
  for (NodeId c : g_.nodes[pid_tuple].items) {
    if (leaf(c)) mark(c);
  }
  mark(a[1]);
  visit(size, Edge{args, LabelKind::kIndex, kNoNode, 2});
  mark_leaves(g_.nodes[size].items);
  visit(stride, Edge{args, LabelKind::kIndex, kNoNode, 3});
  mark_leaves(g_.nodes[stride].items);
  mark(a[4]);
  visit(hooks, Edge{args, LabelKind::kIndex, kNoNode, 5});
  if (!hooks_args_seen) {
    visit(hooks_args, Edge{hooks, LabelKind::kNone, kNoNode, 0});
    mark_leaves(g_.nodes[hooks_args].items);
  }
  return true;
}

std::string GraphInterpreter::Repr(NodeId id, int depth) const {
  const PickleNode* n = Node(id);
  if (!n) return "<missing>";
  switch (n->kind) {
    case PickleKind::kNone: return "None";
    case PickleKind::kBool: return n->int_value ? "True" : "False";
    case PickleKind::kInt: return std::to_string(n->int_value);
    case PickleKind::kBigInt: return n->text;
    case PickleKind::kFloat: return PythonFloatRepr(n->float_value);
    case PickleKind::kStr: return PythonStrRepr(n->text, false, n->truncated);
    case PickleKind::kBytes: return PythonStrRepr(n->text, true, n->truncated);
    case PickleKind::kGlobal: return n->text + "." + n->name;
    case PickleKind::kTuple: {
      if (depth > 4) return "(...)";
      std::string out = "(";
      for (size_t i = 0; i < n->items.size(); ++i) {
        if (i) out += ", ";
        if (out.size() > kMaxReprChars) { out += "..."; break; }
        out += Repr(n->items[i], depth + 1);
      }
      if (n->items.size() == 1) out += ",";
      return out + ")";
    }
    default:
      return std::string("<") + PickleKindName(n->kind) + ">";
  }
}

std::string GraphInterpreter::Label(const Edge& edge) const {
  switch (edge.kind) {
    case LabelKind::kNone: return "";
    case LabelKind::kIndex: return "[" + std::to_string(edge.index) + "]";
    case LabelKind::kKey: return "[" + Repr(edge.key) + "]";
    case LabelKind::kAttr: {
      const PickleText* name = Str(edge.key);
      if (name) return "." + *name;
      return "[" + Repr(edge.key) + "]";
    }
  }
  return "";
}

std::string GraphInterpreter::Path(NodeId id) const {
  if (id >= edge_.size() || !(flags_[id] & kVisited)) return "";
  std::vector<std::string> parts;
  bool elided = false;
  for (NodeId cur = id; cur != kNoNode && cur < edge_.size(); cur = edge_[cur].parent) {
    if (edge_[cur].kind == LabelKind::kNone) continue;
    if (parts.size() >= kMaxPathComponents) { elided = true; break; }
    parts.push_back(Label(edge_[cur]));
  }
  std::string out = elided ? "..." : "";
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += *it;
  return out;
}

std::string GraphInterpreter::EdgePath(const Edge& edge) {
  if (edge.parent == kNoNode) return "";
  if (edge.parent != last_parent_) {
    last_parent_ = edge.parent;
    last_parent_path_ = Path(edge.parent);
  }
  return last_parent_path_ + Label(edge);
}

// ---------------------------------------------------------------------------
// Globals

void GraphInterpreter::RecordGlobals() {
  // The walk marked every use by a reachable node. Nodes the walk never
  // reached (a broken pickle has no root; a hostile one may leave a REDUCE
  // on the stack) still count: a call of os.system matters wherever it is.
  for (NodeId id = 0; id < g_.nodes.size(); ++id) {
    if (flags_[id] & kVisited) continue;
    const PickleNode& n = g_.nodes[id];
    switch (n.kind) {
      case PickleKind::kCall:
      case PickleKind::kNewObj:
        MarkUse(n.callee, n.kind == PickleKind::kCall ? GlobalRole::kReduce : GlobalRole::kNewObj, id);
        MarkUse(n.args, GlobalRole::kValue, id);
        MarkUse(n.kwargs, GlobalRole::kValue, id);
        for (NodeId b : n.builds) MarkUse(b, GlobalRole::kBuild, id);
        for (NodeId c : n.appended) MarkUse(c, GlobalRole::kValue, id);
        for (NodeId c : n.set_items) MarkUse(c, GlobalRole::kValue, id);
        break;
      case PickleKind::kPersistentId: {
        MarkUse(n.args, GlobalRole::kPersistentId, id);
        const PickleNode* pid = Node(n.args);
        if (pid && pid->kind == PickleKind::kTuple) {
          for (NodeId c : pid->items) MarkUse(c, GlobalRole::kPersistentId, id);
        }
        break;
      }
      default:
        for (NodeId c : n.items) MarkUse(c, GlobalRole::kValue, id);
        break;
    }
  }
  for (const GlobalRef& ref : g_.globals) {
    GlobalUse use;
    use.module = ref.module;
    use.name = ref.name;
    use.pickle = stream_.index;
    use.offset = ref.offset;
    use.dynamic = ref.dynamic;
    if (ref.node < g_.nodes.size()) {
      GlobalRole role = role_[ref.node];
      use.consumer = GlobalRoleName(role);
      NodeId where = role == GlobalRole::kValue ? ref.node : consumer_[ref.node];
      if (where < g_.nodes.size() && (flags_[where] & kVisited)) {
        use.object_path = Path(where);
      }
    }
    ck_.globals.push_back(std::move(use));
  }
}

// ---------------------------------------------------------------------------
// Layout, names, modules, optimizers

bool GraphInterpreter::IsStateDictLike(NodeId id) {
  const NodeList* items = DictItems(id);
  if (!items) return false;
  size_t values = 0, tensors = 0;
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    if (!Str((*items)[i])) return false;
    NodeId v = (*items)[i + 1];
    if (KindOf(v) == PickleKind::kNone) continue;
    ++values;
    if (TensorIndex(v) >= 0) ++tensors;
  }
  if (tensors > 0 && tensors * 2 > values) return true;
  // An empty model's state_dict(): an OrderedDict that still carries _metadata.
  return values == 0 && DictGet(AttrDict(id), "_metadata") != kNoNode;
}

// Lightning's hyper_parameters: a dict or AttributeDict (a dict subclass,
// pickled with SETITEMS) of the LightningModule's __init__ kwargs.
void GraphInterpreter::ReadHyperParameters(NodeId hyper_parameters) {
  constexpr size_t kMaxHyperParameters = 512;
  // Values in all, counted through shared references too: a memoized list
  // referenced from a list referenced from a list... must not expand.
  size_t budget = 16384;
  const NodeList* items = DictItems(hyper_parameters);
  if (!items) return;
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    if (ck_.hyper_parameters.size() >= kMaxHyperParameters || budget == 0) break;
    const PickleText* key = Str((*items)[i]);
    if (!key) continue;
    if (std::optional<nlohmann::json> value = LiteralValue((*items)[i + 1], 0, budget)) {
      ck_.hyper_parameters[key->str()] = std::move(*value);
    }
  }
}

// Top-level entries that are dicts of plain literals (a config the source
// may build the model from). Bounded: 16 entries of up to 512 keys, and one
// value budget for all of them.
void GraphInterpreter::ReadLiteralDicts(const NodeList& top) {
  constexpr size_t kMaxDicts = 16, kMaxKeys = 512;
  size_t budget = 16384;
  for (size_t i = 0; i + 1 < top.size() && ck_.literal_dicts.size() < kMaxDicts; i += 2) {
    const PickleText* name = Str(top[i]);
    const NodeList* entries = name ? DictItems(top[i + 1]) : nullptr;
    if (!entries || entries->empty() || entries->size() / 2 > kMaxKeys || IsStateDictLike(top[i + 1])) continue;
    std::map<std::string, nlohmann::json> values;
    bool all = true;
    for (size_t j = 0; all && j + 1 < entries->size(); j += 2) {
      const PickleText* key = Str((*entries)[j]);
      std::optional<nlohmann::json> value = key ? LiteralValue((*entries)[j + 1], 0, budget) : std::nullopt;
      if (!value) {
        all = false;
        break;
      }
      values[key->str()] = std::move(*value);
    }
    if (all && !values.empty()) ck_.literal_dicts[name->str()] = std::move(values);
  }
}

std::optional<nlohmann::json> GraphInterpreter::LiteralValue(NodeId id, int depth,
                                                             size_t& budget) const {
  constexpr int kMaxDepth = 4;
  constexpr size_t kMaxItems = 4096;
  const PickleNode* n = Node(id);
  if (!n || depth > kMaxDepth || budget == 0) return std::nullopt;
  --budget;
  switch (n->kind) {
    case PickleKind::kNone: return nlohmann::json(nullptr);
    case PickleKind::kBool: return nlohmann::json(n->int_value != 0);
    case PickleKind::kInt: return nlohmann::json(n->int_value);
    case PickleKind::kFloat:
      if (!std::isfinite(n->float_value)) return std::nullopt;
      return nlohmann::json(n->float_value);
    case PickleKind::kStr:
      if (n->truncated) return std::nullopt;
      return nlohmann::json(n->text.str());
    case PickleKind::kTuple:
    case PickleKind::kList: {
      if (n->items.size() > kMaxItems) return std::nullopt;
      nlohmann::json out = nlohmann::json::array();
      for (NodeId item : n->items) {
        std::optional<nlohmann::json> v = LiteralValue(item, depth + 1, budget);
        if (!v) return std::nullopt;
        out.push_back(std::move(*v));
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

void GraphInterpreter::ClassifyLayout() {
  NodeId root = g_.root;
  ck_.layout = Layout::kUnknown;
  if (root == kNoNode || root >= g_.nodes.size()) return;
  if (ck_.format == ContainerFormat::kTorchScript) {
    ck_.layout = Layout::kTorchScript;
    return;
  }
  if (IsModuleLike(root)) {
    ck_.layout = Layout::kPickledModule;
    primary_ = root;
    primary_is_module_ = true;
    ck_.state_dict_path = "";
    return;
  }
  const NodeList* items = DictItems(root);
  if (!items) {
    ck_.layout = Layout::kOther;
    return;
  }
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    const PickleText* key = Str((*items)[i]);
    ck_.top_level_keys.push_back(key ? *key : Repr((*items)[i]));
  }
  ReadLiteralDicts(*items);
  auto has = [&](std::string_view key) { return DictGet(root, key) != kNoNode; };
  auto use_primary = [&](NodeId value, NodeId key_node) {
    primary_ = value;
    primary_is_module_ = IsModuleLike(value);
    ck_.state_dict_path = "[" + Repr(key_node) + "]";
  };
  auto find_key_node = [&](std::string_view key) {
    for (size_t i = 0; i + 1 < items->size(); i += 2) {
      const PickleText* k = Str((*items)[i]);
      if (k && *k == key) return (*items)[i];
    }
    return kNoNode;
  };

  if (has("pytorch-lightning_version") ||
      (has("state_dict") && (has("optimizer_states") || has("hyper_parameters") || has("loops")))) {
    ck_.layout = Layout::kLightning;
    if (NodeId hp = DictGet(root, "hyper_parameters"); hp != kNoNode) ReadHyperParameters(hp);
    NodeId sd = DictGet(root, "state_dict");
    if (sd != kNoNode && (IsStateDictLike(sd) || DictItems(sd))) use_primary(sd, find_key_node("state_dict"));
    return;
  }
  if (items->size() == 4 && has("state") && has("param_groups")) {
    ck_.layout = Layout::kOptimizerState;
    return;
  }
  if (IsStateDictLike(root)) {
    const PickleNode& n = g_.nodes[root];
    bool ordered = n.kind != PickleKind::kDict || DictGet(AttrDict(root), "_metadata") != kNoNode;
    ck_.layout = ordered ? Layout::kStateDict : Layout::kTensorDict;
    primary_ = root;
    ck_.state_dict_path = "";
    return;
  }
  // A wrapper: the model's weights under a conventional key, else under the
  // first key whose value is a state dict or a module.
  static constexpr std::string_view kModelKeys[] = {
      "model_state_dict", "state_dict", "model", "net", "ema", "module", "params",
      "state", "model_state", "network", "weights", "generator", "student", "teacher"};
  for (std::string_view key : kModelKeys) {
    NodeId v = DictGet(root, key);
    if (v != kNoNode && (IsStateDictLike(v) || IsModuleLike(v))) {
      ck_.layout = Layout::kWrapperDict;
      use_primary(v, find_key_node(key));
      return;
    }
  }
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    NodeId v = (*items)[i + 1];
    if (Str((*items)[i]) && (IsStateDictLike(v) || IsModuleLike(v))) {
      ck_.layout = Layout::kWrapperDict;
      use_primary(v, (*items)[i]);
      return;
    }
  }
  ck_.layout = Layout::kOther;
}

void GraphInterpreter::ReadMetadata(NodeId state_dict) {
  NodeId metadata = DictGet(AttrDict(state_dict), "_metadata");
  if (metadata == kNoNode) return;
  ck_.has_metadata = true;
  const NodeList* items = DictItems(metadata);
  if (!items) return;
  for (size_t i = 0; i + 1 < items->size(); i += 2) {
    const PickleText* path = Str((*items)[i]);
    int64_t version;
    if (path && Int(DictGet((*items)[i + 1], "version"), version)) {
      ck_.metadata_versions[*path] = version;
    }
  }
}

void GraphInterpreter::ReadModuleTree(NodeId root) {
  struct Pending { NodeId node; std::string path; };
  std::vector<Pending> stack{{root, ""}};
  std::unordered_set<NodeId> seen;
  while (!stack.empty()) {
    Pending cur = std::move(stack.back());
    stack.pop_back();
    // A submodule shared by two parents is expanded once, under its first
    // path, so that a hostile DAG of modules stays linear.
    if (!seen.insert(cur.node).second) continue;
    const PickleNode& n = g_.nodes[cur.node];
    ModuleNode module;
    module.path = cur.path;
    module.pickle = stream_.index;
    module.offset = n.offset;
    const PickleNode* cls = Node(n.callee);
    // Protocol 0/1: copyreg._reconstructor(cls, object, None).
    if (cls && cls->kind == PickleKind::kGlobal && MappedModule(cls->text) == "copyreg" &&
        cls->name == "_reconstructor") {
      const NodeList* args = Sequence(n.args);
      cls = args && !args->empty() ? Node((*args)[0]) : nullptr;
    }
    if (cls && cls->kind == PickleKind::kGlobal) {
      module.module = cls->text;
      module.name = cls->name;
    }
    NodeId attrs = AttrDict(cur.node);
    if (const NodeList* items = DictItems(attrs)) {
      for (size_t i = 0; i + 1 < items->size(); i += 2) {
        const PickleText* key = Str((*items)[i]);
        module.attributes.push_back(key ? *key : Repr((*items)[i]));
      }
    }
    // _non_persistent_buffers_set: set() via EMPTY_SET/ADDITEMS or
    // builtins.set([...]) via REDUCE.
    NodeId np = DictGet(attrs, "_non_persistent_buffers_set");
    const PickleNode* np_node = Node(np);
    const NodeList* np_items = nullptr;
    if (np_node && (np_node->kind == PickleKind::kSet || np_node->kind == PickleKind::kFrozenSet)) {
      np_items = &np_node->items;
    } else if (np_node && np_node->kind == PickleKind::kCall) {
      const NodeList* args = Sequence(np_node->args);
      if (args && args->size() == 1) np_items = Sequence((*args)[0]);
    }
    if (np_items) {
      for (NodeId item : *np_items) {
        if (const PickleText* s = Str(item)) module.non_persistent_buffers.push_back(*s);
      }
    }
    std::string prefix = cur.path.empty() ? "" : cur.path + ".";
    auto read_keys = [&](std::string_view attr, std::vector<std::string>& out) -> NodeId {
      NodeId dict = DictGet(attrs, attr);
      const NodeList* items = DictItems(dict);
      if (!items) return kNoNode;
      for (size_t i = 0; i + 1 < items->size(); i += 2) {
        const PickleText* key = Str((*items)[i]);
        std::string name = key ? *key : Repr((*items)[i]);
        if (KindOf((*items)[i + 1]) == PickleKind::kNone) name += "=None";
        out.push_back(std::move(name));
      }
      return dict;
    };
    NodeId params = read_keys("_parameters", module.parameters);
    NodeId buffers = read_keys("_buffers", module.buffers);
    NodeId children = read_keys("_modules", module.children);
    int module_index = static_cast<int>(ck_.modules.size());
    if (params != kNoNode) module_dicts_.emplace(params, ModuleDictRole{prefix, module_index, false});
    if (buffers != kNoNode) module_dicts_.emplace(buffers, ModuleDictRole{prefix, module_index, true});
    ck_.modules.push_back(std::move(module));
    if (const NodeList* items = DictItems(children)) {
      std::vector<Pending> next;
      for (size_t i = 0; i + 1 < items->size(); i += 2) {
        const PickleText* key = Str((*items)[i]);
        NodeId child = (*items)[i + 1];
        if (key && IsModuleLike(child)) next.push_back({child, prefix + *key});
      }
      for (auto it = next.rbegin(); it != next.rend(); ++it) stack.push_back(std::move(*it));
    }
  }
}

void GraphInterpreter::NameTensors() {
  // Parsed infos sit in ck_.tensors in parse order. The common case (a state
  // dict: each tensor referenced once, none inside another's rebuild call)
  // is already walk order, and they are named in place; otherwise they are
  // rebuilt in walk order: copied for each reference, moved on the last.
  const size_t base = tensors_base_;
  bool in_place = tensor_edges_.size() == parsed_.size();
  for (size_t i = 0; in_place && i < tensor_edges_.size(); ++i) {
    in_place = tensor_index_[tensor_edges_[i].tensor] == static_cast<int32_t>(i);
  }
  std::vector<TensorInfo> ordered;
  std::vector<uint32_t> uses;
  if (!in_place) {
    ordered.reserve(tensor_edges_.size());
    uses.assign(parsed_.size(), 0);
    for (const TensorEdge& te : tensor_edges_) ++uses[tensor_index_[te.tensor]];
  }
  for (const TensorEdge& te : tensor_edges_) {
    int32_t index = tensor_index_[te.tensor];
    const ParsedStorage& parsed = parsed_[index];
    TensorInfo* slot = &ck_.tensors[base + index];
    if (!in_place) {
      ordered.push_back(--uses[index] == 0 ? std::move(*slot) : *slot);
      slot = &ordered.back();
    }
    TensorInfo& info = *slot;
    const PickleText* key = te.edge.kind == LabelKind::kKey ? Str(te.edge.key) : nullptr;
    bool named = false;
    if (key && te.edge.parent == primary_ && primary_ != kNoNode && !primary_is_module_) {
      info.name = std::string(key->view());
      named = true;
    } else if (key && primary_is_module_) {
      auto it = module_dicts_.find(te.edge.parent);
      if (it != module_dicts_.end()) {
        // Non-persistent buffers are not in state_dict(): they keep their
        // object path ("._buffers['position_ids']") instead of a key.
        const ModuleDictRole& role = it->second;
        const std::vector<std::string>& np = ck_.modules[role.module].non_persistent_buffers;
        bool excluded = role.buffers && std::find(np.begin(), np.end(), *key) != np.end();
        if (!excluded) {
          info.name = role.prefix + *key;
          named = true;
        }
      }
    }
    if (!named) info.name = EdgePath(te.edge);
    if (parsed.storage >= 0) ck_.storages[parsed.storage].tensors.push_back(info.name);
    for (const auto& [suffix, storage] : parsed.aux) {
      ck_.storages[storage].tensors.push_back(info.name + "." + suffix);
    }
  }
  if (!in_place) {
    ck_.tensors.erase(ck_.tensors.begin() + static_cast<std::ptrdiff_t>(base), ck_.tensors.end());
    for (TensorInfo& t : ordered) ck_.tensors.push_back(std::move(t));
  }
}

std::string GraphInterpreter::RenderOption(NodeId id, int depth) const {
  const PickleNode* n = Node(id);
  if (!n) return "<missing>";
  switch (n->kind) {
    case PickleKind::kTuple:
    case PickleKind::kList: {
      if (depth > 2) return "[...]";
      bool tuple = n->kind == PickleKind::kTuple;
      std::string out = tuple ? "(" : "[";
      for (size_t i = 0; i < n->items.size(); ++i) {
        if (i) out += ", ";
        if (out.size() > kMaxReprChars) { out += "..."; break; }
        out += RenderOption(n->items[i], depth + 1);
      }
      if (tuple && n->items.size() == 1) out += ",";
      return out + (tuple ? ")" : "]");
    }
    case PickleKind::kCall:
    case PickleKind::kNewObj:
      return "<object>";
    default:
      return Repr(id);
  }
}

void GraphInterpreter::ReadOptimizers() {
  for (NodeId id : dict_nodes_) {
    if (ck_.optimizers.size() >= kMaxOptimizers) break;
    NodeId state = DictGet(id, "state");
    NodeId groups = DictGet(id, "param_groups");
    const NodeList* group_items = Sequence(groups);
    const NodeList* state_items = DictItems(state);
    if (!group_items || !state_items) continue;
    OptimizerInfo opt;
    opt.path = Path(id);
    for (NodeId g : *group_items) {
      const NodeList* items = DictItems(g);
      if (!items) continue;
      OptimizerGroup group;
      for (size_t i = 0; i + 1 < items->size(); i += 2) {
        const PickleText* key = Str((*items)[i]);
        if (!key) continue;
        if (*key == "params") {
          IntList((*items)[i + 1], group.params);
          continue;
        }
        group.options[*key] = RenderOption((*items)[i + 1]);
      }
      opt.groups.push_back(std::move(group));
    }
    for (size_t i = 0; i + 1 < state_items->size(); i += 2) {
      int64_t param;
      if (!Int((*state_items)[i], param)) continue;
      NodeId per_param = (*state_items)[i + 1];
      const NodeList* values = DictItems(per_param);
      if (!values) continue;
      std::vector<std::string>& names = opt.state_tensors[param];
      std::string base = Path(per_param);
      for (size_t j = 0; j + 1 < values->size(); j += 2) {
        const PickleText* key = Str((*values)[j]);
        if (!key) continue;
        if (std::find(opt.state_keys.begin(), opt.state_keys.end(), *key) == opt.state_keys.end()) {
          opt.state_keys.push_back(*key);
        }
        NodeId v = (*values)[j + 1];
        if (TensorIndex(v) >= 0) names.push_back(base + "[" + Repr((*values)[j]) + "]");
      }
    }
    // The classifier the optimizer rules use too (optimizer_family.h).
    opt.family = ClassifySavedOptimizer(opt).family;
    if (opt.family.empty()) opt.family = "unknown";
    ck_.optimizers.push_back(std::move(opt));
  }
}

void GraphInterpreter::InterpretMain() {
  ClassifyLayout();
  if (primary_ != kNoNode) {
    if (primary_is_module_) {
      ReadModuleTree(primary_);
    } else {
      ReadMetadata(primary_);
    }
  }
  NameTensors();
  ReadOptimizers();
  // Tied groups: tensors viewing one storage under two or more names.
  for (size_t i = 0; i < ck_.storages.size(); ++i) {
    const std::vector<std::string>& viewers = ck_.storages[i].tensors;
    // Most storages have one viewer: no group, and no copy of its name.
    if (viewers.size() < 2) continue;
    std::vector<std::string> names;
    for (const std::string& name : viewers) {
      // Inner parts of sparse / per-channel tensors are not separate tensors.
      if (name.find(".<") != std::string::npos) continue;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    if (names.size() >= 2) ck_.tied_groups.push_back(std::move(names));
  }
}

}  // namespace

void SetObjectWalkCrossCheck(bool on) { GraphInterpreter::cross_check_enabled = on; }

void InterpretObjects(Checkpoint& checkpoint, int main_pickle) {
  checkpoint.globals.clear();
  checkpoint.tensors.clear();
  checkpoint.storages.clear();
  checkpoint.tied_groups.clear();
  checkpoint.metadata_versions.clear();
  checkpoint.has_metadata = false;
  checkpoint.top_level_keys.clear();
  checkpoint.hyper_parameters.clear();
  checkpoint.optimizers.clear();
  checkpoint.modules.clear();
  checkpoint.state_dict_path.clear();
  for (size_t i = 0; i < checkpoint.pickles.size(); ++i) {
    const PickleStream& stream = checkpoint.pickles[i];
    bool is_main = static_cast<int>(i) == main_pickle;
    GraphInterpreter interpreter(checkpoint, stream, is_main);
    interpreter.Walk();
    if (is_main) interpreter.InterpretMain();
    interpreter.RecordGlobals();
  }
  // A TorchScript module's parameters sit in attributes of script objects
  // (`.conv.weight` in attribute notation); torch::jit::load names them by
  // module path, as a state dict would.
  if (checkpoint.format == ContainerFormat::kTorchScript) {
    auto strip = [](std::string& name) {
      if (name.size() > 1 && name[0] == '.' && name.find('[') == std::string::npos) name.erase(0, 1);
    };
    for (TensorInfo& t : checkpoint.tensors) strip(t.name);
    for (StorageInfo& s : checkpoint.storages) {
      for (std::string& n : s.tensors) strip(n);
    }
    for (auto& group : checkpoint.tied_groups) {
      for (std::string& n : group) strip(n);
    }
  }
}

}  // namespace ptlint
