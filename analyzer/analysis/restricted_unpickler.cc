// The restricted unpickler of torch.load(weights_only=True), per release.
// See restricted_unpickler.h.
#include "analyzer/analysis/restricted_unpickler.h"

#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "analyzer/formats/pickle_opcodes.h"

namespace ptlint {

QualifiedGlobal WeightsOnlyMapGlobal(std::string_view module, std::string_view name,
                                     TorchVersion version, int proto) {
  if (version == TorchVersion::k1_13) return {std::string(module), std::string(name)};
  if (version == TorchVersion::k2_4 && proto != 2) return {std::string(module), std::string(name)};
  QualifiedGlobal g = NormalizeGlobal(module, name);
  // NormalizeGlobal also applies torch's load_module_mapping, which the
  // unpickler itself does not; undo it for fidelity.
  if (module == "torch.tensor") g.module = "torch.tensor";
  return g;
}

namespace {

namespace op = pickle_op;

// ---------------------------------------------------------------------------
// Symbolic values of the restricted unpickler. Only what its checks look at
// is kept: the Python type, the qualified name of globals (classes and
// functions), the first item of tuples (persistent ids) and string values.
enum class VKind {
  kNone, kBool, kInt, kFloat, kStr, kBytes, kTuple, kList, kDict, kOrderedDict,
  kCounter, kSet, kGlobal, kTensor, kParameter, kStorage, kObject,
};

struct Value {
  VKind kind = VKind::kNone;
  std::string text;    // kStr value; kGlobal / kObject: qualified name of the (type) global
  bool user_type = false;  // kObject made from an add_safe_globals class
  // kTuple: what the persistent-id check reads of the first item. A summary,
  // not a pointer: values never own other values, so a pickle of 10^6 nested
  // tuples cannot make their destruction recurse 10^6 frames deep.
  bool has_first = false;
  VKind first_kind = VKind::kNone;
  std::string first_text;
};
using ValuePtr = std::shared_ptr<const Value>;

ValuePtr Make(VKind kind, std::string text = {}) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  v->text = std::move(text);
  return v;
}

ValuePtr MakeTuple(const Value* first) {
  auto t = std::make_shared<Value>();
  t->kind = VKind::kTuple;
  if (first != nullptr) {
    t->has_first = true;
    t->first_kind = first->kind;
    if (first->kind == VKind::kStr) t->first_text = first->text;
  }
  return t;
}

// Python's repr of type(value), as torch's messages print it.
std::string TypeRepr(const Value& v, bool* exact) {
  switch (v.kind) {
    case VKind::kNone: return "<class 'NoneType'>";
    case VKind::kBool: return "<class 'bool'>";
    case VKind::kInt: return "<class 'int'>";
    case VKind::kFloat: return "<class 'float'>";
    case VKind::kStr: return "<class 'str'>";
    case VKind::kBytes: return "<class 'bytes'>";
    case VKind::kTuple: return "<class 'tuple'>";
    case VKind::kList: return "<class 'list'>";
    case VKind::kDict: return "<class 'dict'>";
    case VKind::kOrderedDict: return "<class 'collections.OrderedDict'>";
    case VKind::kCounter: return "<class 'collections.Counter'>";
    case VKind::kSet: return "<class 'set'>";
    case VKind::kTensor: return "<class 'torch.Tensor'>";
    case VKind::kParameter: return "<class 'torch.nn.parameter.Parameter'>";
    case VKind::kStorage: return "<class 'torch.storage.TypedStorage'>";
    case VKind::kObject: return "<class '" + v.text + "'>";
    case VKind::kGlobal: {
      // A class is of type `type`; a function of type `function` (or a
      // builtin): ptlint cannot import it to know, so it guesses by case.
      *exact = false;
      size_t dot = v.text.rfind('.');
      std::string_view last = dot == std::string::npos ? std::string_view(v.text)
                                                       : std::string_view(v.text).substr(dot + 1);
      bool is_class = !last.empty() && last[0] >= 'A' && last[0] <= 'Z';
      return is_class ? "<class 'type'>" : "<class 'function'>";
    }
  }
  return "<class 'object'>";
}

// Python's repr of a class or function global.
std::string GlobalRepr(const Value& v, bool* exact) {
  if (v.kind != VKind::kGlobal) {
    *exact = false;
    return TypeRepr(v, exact);
  }
  size_t dot = v.text.rfind('.');
  std::string_view last = dot == std::string::npos ? std::string_view(v.text)
                                                   : std::string_view(v.text).substr(dot + 1);
  bool is_class = !last.empty() && last[0] >= 'A' && last[0] <= 'Z';
  if (is_class) return "<class '" + v.text + "'>";
  *exact = false;  // "<function f at 0x7f...>": the address is not knowable
  return "<function " + std::string(last) + " at 0x...>";
}

bool IsTensorRebuild(std::string_view q) {
  return q.rfind("torch._utils._rebuild_", 0) == 0 && q.find("parameter") == std::string_view::npos;
}

class RestrictedUnpickler {
 public:
  RestrictedUnpickler(std::string_view data, uint64_t base, TorchVersion version,
                      const std::set<std::string>& user_allowed)
      : data_(data), base_(base), version_(version), user_allowed_(user_allowed) {}

  WeightsOnlyPickleRun Run() {
    while (true) {
      op_offset_ = pos_;
      if (pos_ >= data_.size()) return Raw("EOFError", "");
      uint8_t key = static_cast<uint8_t>(data_[pos_++]);
      op_ = key;
      if (!Step(key)) return std::move(run_);
      if (done_) {
        run_.ok = true;
        return std::move(run_);
      }
    }
  }

 private:
  bool v113() const { return version_ == TorchVersion::k1_13; }
  bool v24() const { return version_ == TorchVersion::k2_4; }

  // The unpickler's own error type: RuntimeError in 1.13, UnpicklingError
  // later. Both are what torch.load wraps.
  bool Fail(std::string message, bool exact = true) {
    run_.ok = false;
    run_.exception = v113() ? "RuntimeError" : "UnpicklingError";
    run_.inner_message = std::move(message);
    run_.wrapped_by_torch = true;
    run_.exact = run_.exact && exact;
    run_.offset = base_ + op_offset_;
    run_.opcode = op_;
    return false;
  }
  // A Python error the restricted unpickler does not convert; torch.load
  // lets it escape unwrapped.
  bool RawFail(std::string exception, std::string message, bool exact = true) {
    run_.ok = false;
    run_.exception = std::move(exception);
    run_.inner_message = std::move(message);
    run_.wrapped_by_torch = false;
    run_.exact = run_.exact && exact;
    run_.offset = base_ + op_offset_;
    run_.opcode = op_;
    return false;
  }
  WeightsOnlyPickleRun Raw(std::string exception, std::string message) {
    RawFail(std::move(exception), std::move(message));
    return std::move(run_);
  }

  bool Read(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) {
      // struct.unpack on a short read, or a short string: Python reads what
      // is there and fails later; either way the load dies here.
      *out = data_.substr(pos_);
      pos_ = data_.size();
      return false;
    }
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool ReadUnpack(size_t n, std::string_view* out) {
    if (!Read(n, out)) {
      RawFail("struct.error", "unpack requires a buffer of " + std::to_string(n) + " bytes");
      return false;
    }
    return true;
  }
  std::string_view ReadLine() {
    size_t nl = data_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? data_.size() : nl + 1;
    std::string_view line = data_.substr(pos_, end - pos_);
    pos_ = end;
    if (!line.empty()) line.remove_suffix(1);  // readline()[:-1]
    return line;
  }

  bool Pop(ValuePtr* out) {
    if (stack_.empty()) return RawFail("IndexError", "pop from empty list");
    *out = std::move(stack_.back());
    stack_.pop_back();
    return true;
  }
  bool Top(ValuePtr* out) {
    if (stack_.empty()) return RawFail("IndexError", "list index out of range");
    *out = stack_.back();
    return true;
  }
  bool PopMark(std::vector<ValuePtr>* items) {
    if (metastack_.empty()) return RawFail("IndexError", "pop from empty list");
    *items = std::move(stack_);
    stack_ = std::move(metastack_.back());
    metastack_.pop_back();
    return true;
  }

  bool IsAllowed(const std::string& q) const { return InTorchWeightsOnlyAllowlist(q, version_); }
  bool IsUserAllowed(const std::string& q) const {
    return !v113() && user_allowed_.count(q) > 0;
  }

  bool Global() {
    std::string_view module_raw = ReadLine();
    std::string_view name_raw = ReadLine();
    QualifiedGlobal g = WeightsOnlyMapGlobal(module_raw, name_raw, version_, proto_);
    std::string full = g.qualified();
    run_.globals_seen.push_back(full);
    run_.global = full;
    if (!v113() && IsTorchBlockedModule(g.module)) {
      return Fail("Trying to load unsupported GLOBAL " + full + " whose module " + g.module +
                  " is blocked.");
    }
    if (IsAllowed(full) || IsUserAllowed(full)) {
      stack_.push_back(Make(VKind::kGlobal, full));
      run_.global.clear();
      return true;
    }
    if (v113()) return Fail("Unsupported class " + full);
    if (version_ == TorchVersion::kCurrent) {
      static const char* kNjt[] = {"torch.nested._internal.nested_tensor.NestedTensor",
                                   "torch.nested._internal.nested_tensor._rebuild_njt",
                                   "torch._dynamo.decorators._DimRange"};
      static const char* kDTensor[] = {
          "torch.distributed.device_mesh.DeviceMesh",
          "torch.distributed.tensor._dtensor_spec.DTensorSpec",
          "torch.distributed.tensor._dtensor_spec.TensorMeta", "torch.distributed.tensor.DTensor",
          "torch.distributed.tensor.placement_types.Partial",
          "torch.distributed.tensor.placement_types.Replicate",
          "torch.distributed.tensor.placement_types.Shard"};
      for (const char* n : kNjt) {
        if (full == n) {
          return Fail("``torch.nested`` and ``torch._dynamo`` must be imported to load nested "
                      "jagged tensors (NJTs)");
        }
      }
      for (const char* n : kDTensor) {
        if (full == n) return Fail("``torch.distributed.tensor`` must be imported to load DTensors");
      }
    }
    std::string shown;
    if (version_ == TorchVersion::kCurrent) {
      // builtins.X is printed as X (the check in torch is a prefix test).
      shown = full;
      if (shown.rfind("builtins", 0) == 0) {
        shown = shown.substr(8);
        shown = (!shown.empty() && shown[0] == '.') ? shown.substr(1) : "builtins" + shown;
      }
      return Fail("Unsupported global: GLOBAL " + full +
                  " was not an allowed global by default. Please use "
                  "`torch.serialization.add_safe_globals([" + shown + "])` or the "
                  "`torch.serialization.safe_globals([" + shown + "])` context manager to "
                  "allowlist this global if you trust this class/function.");
    }
    if (version_ == TorchVersion::k2_6) {
      return Fail("Unsupported global: GLOBAL " + full +
                  " was not an allowed global by default. Please use "
                  "`torch.serialization.add_safe_globals([" + g.name + "])` or the "
                  "`torch.serialization.safe_globals([" + g.name + "])` context manager to "
                  "allowlist this global if you trust this class/function.");
    }
    return Fail("Unsupported global: GLOBAL " + full +
                " was not an allowed global by default. Please use "
                "`torch.serialization.add_safe_globals([" + g.name + "])` to allowlist "
                "this global if you trust this class/function.");
  }

  ValuePtr CallResult(const Value& func) {
    const std::string& q = func.text;
    if (q == "torch._utils._rebuild_parameter" || q == "torch._utils._rebuild_parameter_with_state" ||
        q == "torch.nn.parameter.Parameter") {
      return Make(VKind::kParameter);
    }
    if (IsTensorRebuild(q) || q == "torch._tensor._rebuild_from_type_v2" || q == "torch.Tensor" ||
        (q.size() > 6 && q.compare(q.size() - 6, 6, "Tensor") == 0)) {
      return Make(VKind::kTensor);
    }
    if (q == "collections.OrderedDict") return Make(VKind::kOrderedDict);
    if (q == "collections.Counter") return Make(VKind::kCounter);
    if (q == "builtins.set") return Make(VKind::kSet);
    if (q == "_codecs.encode") return Make(VKind::kBytes);
    if (q == "builtins.bytearray") return Make(VKind::kObject, "bytearray");
    if (q == "builtins.complex") return Make(VKind::kObject, "complex");
    if (q == "torch.Size") return Make(VKind::kObject, "torch.Size");
    if (q == "torch.device") return Make(VKind::kObject, "torch.device");
    if (q == "torch.serialization._get_layout") return Make(VKind::kObject, "torch.layout");
    if (q.size() > 7 && q.compare(q.size() - 7, 7, "Storage") == 0) return Make(VKind::kStorage);
    auto v = std::make_shared<Value>();
    v->kind = VKind::kObject;
    v->text = q;
    v->user_type = IsUserAllowed(q);
    return v;
  }

  bool Step(uint8_t key) {
    std::string_view bytes;
    ValuePtr a, b;
    switch (key) {
      case op::GLOBAL:
        return Global();
      case op::NEWOBJ: {
        if (!Pop(&a) || !Pop(&b)) return false;
        bool exact = true;
        bool is_param = b->kind == VKind::kGlobal && b->text == "torch.nn.parameter.Parameter";
        if (is_param) {
          stack_.push_back(Make(VKind::kParameter));
          return true;
        }
        if (v113()) return Fail("Trying to instantiate unsupported class " + GlobalRepr(*b, &exact), exact);
        bool ok = b->kind == VKind::kGlobal &&
                  (IsUserAllowed(b->text) || (!v24() && IsAllowed(b->text)));
        if (!ok) {
          std::string repr = GlobalRepr(*b, &exact);
          return Fail("Can only create new object for nn.Parameter or classes allowlisted via "
                      "`add_safe_globals` but got " + repr, exact);
        }
        stack_.push_back(CallResult(*b));
        return true;
      }
      case op::REDUCE: {
        if (!Pop(&a) || !Top(&b)) return false;
        if (b->kind != VKind::kGlobal) {
          bool exact = false;
          return Fail("Trying to call reduce for unrecognized function " + TypeRepr(*b, &exact), false);
        }
        stack_.back() = CallResult(*b);
        return true;
      }
      case op::BUILD: {
        if (!Pop(&a) || !Top(&b)) return false;
        const Value& inst = *b;
        bool ok = inst.kind == VKind::kTensor || inst.kind == VKind::kParameter ||
                  inst.kind == VKind::kOrderedDict;
        if (!ok && !v113() && inst.kind == VKind::kObject && inst.user_type) ok = true;
        if (!ok && (version_ == TorchVersion::k2_6 || version_ == TorchVersion::kCurrent)) {
          // type(inst) in _get_allowed_globals().values()
          ok = inst.kind == VKind::kCounter || inst.kind == VKind::kSet ||
               (inst.kind == VKind::kObject && IsAllowed(inst.text));
        }
        if (!ok) {
          bool exact = true;
          std::string type = TypeRepr(inst, &exact);
          if (v113()) return Fail("Can only build Tensor, parameter or dict objects, but got " + type, exact);
          return Fail("Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                      "`add_safe_globals`, but got " + type, exact);
        }
        return true;
      }
      case op::APPEND: {
        if (!Pop(&a) || !Top(&b)) return false;
        if (b->kind != VKind::kList) {
          bool exact = true;
          std::string type = TypeRepr(*b, &exact);
          return Fail("Can only append to lists, but got " + type, exact);
        }
        return true;
      }
      case op::APPENDS: {
        std::vector<ValuePtr> items;
        if (!PopMark(&items) || !Top(&b)) return false;
        if (b->kind != VKind::kList) {
          bool exact = true;
          std::string type = TypeRepr(*b, &exact);
          return Fail("Can only extend lists, but got " + type, exact);
        }
        return true;
      }
      case op::SETITEM: {
        if (!Pop(&a) || !Pop(&b) || !Top(&a)) return false;
        return SetItemTarget(*a);
      }
      case op::SETITEMS: {
        std::vector<ValuePtr> items;
        if (!PopMark(&items) || !Top(&a)) return false;
        if (items.empty()) return true;
        return SetItemTarget(*a);
      }
      case op::MARK:
        metastack_.push_back(std::move(stack_));
        stack_.clear();
        if (metastack_.size() > (1u << 20)) return RawFail("MemoryError", "");
        return true;
      case op::TUPLE: {
        std::vector<ValuePtr> items;
        if (!PopMark(&items)) return false;
        stack_.push_back(MakeTuple(items.empty() ? nullptr : items.front().get()));
        return true;
      }
      case op::TUPLE1: case op::TUPLE2: case op::TUPLE3: {
        size_t n = key - op::TUPLE1 + 1;
        if (stack_.size() < n) return RawFail("IndexError", "list index out of range");
        ValuePtr t = MakeTuple(stack_[stack_.size() - n].get());
        stack_.resize(stack_.size() - n);
        stack_.push_back(std::move(t));
        return true;
      }
      case op::NONE: stack_.push_back(Make(VKind::kNone)); return true;
      case op::NEWFALSE: case op::NEWTRUE: stack_.push_back(Make(VKind::kBool)); return true;
      case op::EMPTY_TUPLE: stack_.push_back(Make(VKind::kTuple)); return true;
      case op::EMPTY_LIST: stack_.push_back(Make(VKind::kList)); return true;
      case op::EMPTY_DICT: stack_.push_back(Make(VKind::kDict)); return true;
      case op::EMPTY_SET: stack_.push_back(Make(VKind::kSet)); return true;
      case op::BININT:
        if (!ReadUnpack(4, &bytes)) return false;
        stack_.push_back(Make(VKind::kInt));
        return true;
      case op::BININT1:  // self.read(1)[0]
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        stack_.push_back(Make(VKind::kInt));
        return true;
      case op::BININT2:
        if (!ReadUnpack(2, &bytes)) return false;
        stack_.push_back(Make(VKind::kInt));
        return true;
      case op::BINFLOAT:  // not in 1.13's unpickler
        if (v113()) return Fail("Unsupported operand 71");
        if (!ReadUnpack(8, &bytes)) return false;
        stack_.push_back(Make(VKind::kFloat));
        return true;
      case op::BINUNICODE: {
        if (!ReadUnpack(4, &bytes)) return false;
        uint32_t n;
        std::memcpy(&n, bytes.data(), 4);  // little-endian hosts only, as torch
        std::string_view s;
        Read(n, &s);  // a short read decodes what is there, like Python
        stack_.push_back(Make(VKind::kStr, std::string(s.substr(0, 256))));
        return true;
      }
      case op::SHORT_BINSTRING: {
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        std::string_view s;
        Read(static_cast<uint8_t>(bytes[0]), &s);
        stack_.push_back(Make(VKind::kStr, std::string(s)));
        return true;
      }
      case op::BINPERSID: {
        if (!Pop(&a)) return false;
        bool is_tuple = a->kind == VKind::kTuple;
        bool is_int = a->kind == VKind::kInt || a->kind == VKind::kBool;
        // 1.13 and 2.4 test `not type(pid) is not int`, which rejects ints
        // and accepts everything else; fixed later.
        bool reject = (v113() || v24()) ? (!is_tuple && a->kind == VKind::kInt)
                                         : (!is_tuple && !is_int);
        if (reject) {
          bool exact = true;
          std::string type = TypeRepr(*a, &exact);
          return Fail("persistent_load id must be tuple or int, but got " + type, exact);
        }
        if (is_tuple && a->has_first) {
          if (!(a->first_kind == VKind::kStr && a->first_text == "storage")) {
            bool exact = a->first_kind == VKind::kStr;
            return Fail("Only persistent_load of storage is allowed, but got " +
                            (a->first_kind == VKind::kStr ? a->first_text : std::string("<non-str>")),
                        exact);
          }
        }
        stack_.push_back(Make(VKind::kStorage));
        return true;
      }
      case op::BINGET: case op::LONG_BINGET: {
        uint32_t idx = 0;
        if (key == op::BINGET) {
          if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
          idx = static_cast<uint8_t>(bytes[0]);
        } else {
          if (!ReadUnpack(4, &bytes)) return false;
          std::memcpy(&idx, bytes.data(), 4);
        }
        auto it = memo_.find(idx);
        if (it == memo_.end()) return RawFail("KeyError", std::to_string(idx));
        stack_.push_back(it->second);
        return true;
      }
      case op::BINPUT: case op::LONG_BINPUT: {
        uint32_t idx = 0;
        if (key == op::BINPUT) {
          if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
          idx = static_cast<uint8_t>(bytes[0]);
        } else {
          if (!ReadUnpack(4, &bytes)) return false;
          std::memcpy(&idx, bytes.data(), 4);
        }
        if (!Top(&a)) return false;
        memo_[idx] = a;
        return true;
      }
      case op::LONG1: {
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        std::string_view s;
        Read(static_cast<uint8_t>(bytes[0]), &s);
        stack_.push_back(Make(VKind::kInt));
        return true;
      }
      case op::PROTO:
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        proto_ = static_cast<uint8_t>(bytes[0]);
        return true;
      case op::STOP:
        if (!Pop(&a)) return false;
        done_ = true;
        return true;
      default:
        return Fail("Unsupported operand " + std::to_string(key));
    }
  }

  bool SetItemTarget(const Value& target) {
    if (target.kind == VKind::kDict || target.kind == VKind::kOrderedDict ||
        target.kind == VKind::kCounter || target.kind == VKind::kObject) {
      return true;  // objects: depends on the class; torch does not check
    }
    bool exact = true;
    std::string type = TypeRepr(target, &exact);
    // `stack[-1][k] = v` on a non-mapping raises TypeError, which torch does not wrap.
    std::string short_type = type.substr(8, type.size() - 10);
    return RawFail("TypeError", "'" + short_type + "' object does not support item assignment", false);
  }

  std::string_view data_;
  uint64_t base_;
  TorchVersion version_;
  const std::set<std::string>& user_allowed_;
  size_t pos_ = 0;
  size_t op_offset_ = 0;
  uint8_t op_ = 0;
  int proto_ = -1;
  bool done_ = false;
  std::vector<ValuePtr> stack_;
  std::vector<std::vector<ValuePtr>> metastack_;
  std::unordered_map<uint32_t, ValuePtr> memo_;
  WeightsOnlyPickleRun run_;
};

}  // namespace

bool WeightsOnlyAcceptsOpcode(uint8_t opcode, TorchVersion version) {
  // The cases of RestrictedUnpickler::Step.
  switch (opcode) {
    case op::BINFLOAT:
      return version != TorchVersion::k1_13;
    case op::APPEND: case op::APPENDS: case op::BINGET: case op::BININT: case op::BININT1:
    case op::BININT2: case op::BINPERSID: case op::BINPUT: case op::BINUNICODE: case op::BUILD:
    case op::EMPTY_DICT: case op::EMPTY_LIST: case op::EMPTY_SET: case op::EMPTY_TUPLE:
    case op::GLOBAL: case op::LONG1: case op::LONG_BINGET: case op::LONG_BINPUT: case op::MARK:
    case op::NEWFALSE: case op::NEWOBJ: case op::NEWTRUE: case op::NONE: case op::PROTO:
    case op::REDUCE: case op::SETITEM: case op::SETITEMS: case op::SHORT_BINSTRING: case op::STOP:
    case op::TUPLE: case op::TUPLE1: case op::TUPLE2: case op::TUPLE3:
      return true;
    default:
      return false;
  }
}

WeightsOnlyPickleRun RunWeightsOnlyUnpickler(std::string_view pickle, uint64_t base_offset,
                                             TorchVersion version,
                                             const std::set<std::string>& user_allowed) {
  RestrictedUnpickler unpickler(pickle, base_offset, version, user_allowed);
  return unpickler.Run();
}

}  // namespace ptlint
