#include "analyzer/analysis/weights_only_simulation.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <utility>


namespace ptlint {
namespace {

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
  std::vector<std::shared_ptr<const Value>> items;  // kTuple only
};
using ValuePtr = std::shared_ptr<const Value>;

ValuePtr Make(VKind kind, std::string text = {}) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  v->text = std::move(text);
  return v;
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

// Python-2 renames in torch's GLOBAL: `torch._utils.IMPORT_MAPPING` /
// `NAME_MAPPING` (the `_compat_pickle` tables). 1.13 has none; 2.4 applies
// them for protocol 2 only; later releases always.
QualifiedGlobal MapGlobal(std::string_view module, std::string_view name, TorchVersion version,
                          int proto) {
  if (version == TorchVersion::k1_13) return {std::string(module), std::string(name)};
  if (version == TorchVersion::k2_4 && proto != 2) return {std::string(module), std::string(name)};
  QualifiedGlobal g = NormalizeGlobal(module, name);
  // NormalizeGlobal also applies torch's load_module_mapping, which the
  // unpickler itself does not; undo it for fidelity.
  if (module == "torch.tensor") g.module = "torch.tensor";
  return g;
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
    QualifiedGlobal g = MapGlobal(module_raw, name_raw, version_, proto_);
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
      case 0x63:  // GLOBAL
        return Global();
      case 0x81: {  // NEWOBJ
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
      case 0x52: {  // REDUCE
        if (!Pop(&a) || !Top(&b)) return false;
        if (b->kind != VKind::kGlobal) {
          bool exact = false;
          return Fail("Trying to call reduce for unrecognized function " + TypeRepr(*b, &exact), false);
        }
        stack_.back() = CallResult(*b);
        return true;
      }
      case 0x62: {  // BUILD
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
      case 0x61: {  // APPEND
        if (!Pop(&a) || !Top(&b)) return false;
        if (b->kind != VKind::kList) {
          bool exact = true;
          std::string type = TypeRepr(*b, &exact);
          return Fail("Can only append to lists, but got " + type, exact);
        }
        return true;
      }
      case 0x65: {  // APPENDS
        std::vector<ValuePtr> items;
        if (!PopMark(&items) || !Top(&b)) return false;
        if (b->kind != VKind::kList) {
          bool exact = true;
          std::string type = TypeRepr(*b, &exact);
          return Fail("Can only extend lists, but got " + type, exact);
        }
        return true;
      }
      case 0x73: {  // SETITEM
        if (!Pop(&a) || !Pop(&b) || !Top(&a)) return false;
        return SetItemTarget(*a);
      }
      case 0x75: {  // SETITEMS
        std::vector<ValuePtr> items;
        if (!PopMark(&items) || !Top(&a)) return false;
        if (items.empty()) return true;
        return SetItemTarget(*a);
      }
      case 0x28:  // MARK
        metastack_.push_back(std::move(stack_));
        stack_.clear();
        if (metastack_.size() > (1u << 20)) return RawFail("MemoryError", "");
        return true;
      case 0x74: {  // TUPLE
        std::vector<ValuePtr> items;
        if (!PopMark(&items)) return false;
        auto t = std::make_shared<Value>();
        t->kind = VKind::kTuple;
        if (items.size() <= 8) t->items = std::move(items);  // only persistent ids are inspected
        stack_.push_back(t);
        return true;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        size_t n = key - 0x84;
        if (stack_.size() < n) return RawFail("IndexError", "list index out of range");
        auto t = std::make_shared<Value>();
        t->kind = VKind::kTuple;
        t->items.assign(stack_.end() - n, stack_.end());
        stack_.resize(stack_.size() - n);
        stack_.push_back(t);
        return true;
      }
      case 0x4e: stack_.push_back(Make(VKind::kNone)); return true;
      case 0x89: case 0x88: stack_.push_back(Make(VKind::kBool)); return true;
      case 0x29: stack_.push_back(Make(VKind::kTuple)); return true;
      case 0x5d: stack_.push_back(Make(VKind::kList)); return true;
      case 0x7d: stack_.push_back(Make(VKind::kDict)); return true;
      case 0x8f: stack_.push_back(Make(VKind::kSet)); return true;
      case 0x4a:  // BININT
        if (!ReadUnpack(4, &bytes)) return false;
        stack_.push_back(Make(VKind::kInt));
        return true;
      case 0x4b:  // BININT1: self.read(1)[0]
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        stack_.push_back(Make(VKind::kInt));
        return true;
      case 0x4d:  // BININT2
        if (!ReadUnpack(2, &bytes)) return false;
        stack_.push_back(Make(VKind::kInt));
        return true;
      case 0x47:  // BINFLOAT: not in 1.13's unpickler
        if (v113()) return Fail("Unsupported operand 71");
        if (!ReadUnpack(8, &bytes)) return false;
        stack_.push_back(Make(VKind::kFloat));
        return true;
      case 0x58: {  // BINUNICODE
        if (!ReadUnpack(4, &bytes)) return false;
        uint32_t n;
        std::memcpy(&n, bytes.data(), 4);  // little-endian hosts only, as torch
        std::string_view s;
        Read(n, &s);  // a short read decodes what is there, like Python
        stack_.push_back(Make(VKind::kStr, std::string(s.substr(0, 256))));
        return true;
      }
      case 0x55: {  // SHORT_BINSTRING
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        std::string_view s;
        Read(static_cast<uint8_t>(bytes[0]), &s);
        stack_.push_back(Make(VKind::kStr, std::string(s)));
        return true;
      }
      case 0x51: {  // BINPERSID
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
        if (is_tuple && !a->items.empty()) {
          const Value& first = *a->items[0];
          if (!(first.kind == VKind::kStr && first.text == "storage")) {
            bool exact = first.kind == VKind::kStr;
            return Fail("Only persistent_load of storage is allowed, but got " +
                            (first.kind == VKind::kStr ? first.text : std::string("<non-str>")),
                        exact);
          }
        }
        stack_.push_back(Make(VKind::kStorage));
        return true;
      }
      case 0x68: case 0x6a: {  // BINGET / LONG_BINGET
        uint32_t idx = 0;
        if (key == 0x68) {
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
      case 0x71: case 0x72: {  // BINPUT / LONG_BINPUT
        uint32_t idx = 0;
        if (key == 0x71) {
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
      case 0x8a: {  // LONG1
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        std::string_view s;
        Read(static_cast<uint8_t>(bytes[0]), &s);
        stack_.push_back(Make(VKind::kInt));
        return true;
      }
      case 0x80:  // PROTO
        if (!Read(1, &bytes)) return RawFail("IndexError", "index out of range");
        proto_ = static_cast<uint8_t>(bytes[0]);
        return true;
      case 0x2e:  // STOP
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

// The texts torch.load wraps errors in, per release.
const char* kUnsafe26 =
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source.";
const char* kUnsafe24 =
    "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source.";
const char* kUnsafe113 =
    "Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution.Do it only if you get the file "
    "from a trusted source. WeightsUnpickler error: ";
const char* kDocs =
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.";

std::string Unsafe(TorchVersion version) {
  return version == TorchVersion::k2_4 ? kUnsafe24 : kUnsafe26;
}

std::string PythonExceptionName(const std::string& exception) {
  if (exception == "UnpicklingError") return "_pickle.UnpicklingError";
  return exception;
}

std::string ShortName(const std::string& name) {
  size_t dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(0, dot);  // Outer.Inner imports Outer
}

}  // namespace

WeightsOnlyPickleRun RunWeightsOnlyUnpickler(std::string_view pickle, uint64_t base_offset,
                                             TorchVersion version,
                                             const std::set<std::string>& user_allowed) {
  RestrictedUnpickler unpickler(pickle, base_offset, version, user_allowed);
  return unpickler.Run();
}

std::string TorchLoadErrorMessage(const WeightsOnlyPickleRun& run, TorchVersion version) {
  if (run.ok) return {};
  if (!run.wrapped_by_torch) {
    std::string name = PythonExceptionName(run.exception);
    return run.inner_message.empty() ? name : name + ": " + run.inner_message;
  }
  const std::string& message = run.inner_message;
  if (version == TorchVersion::k1_13) {
    return "_pickle.UnpicklingError: " + std::string(kUnsafe113) + message;
  }
  bool unsafe_global = message.find("was not an allowed global by default.") != std::string::npos &&
                       message.find("GLOBAL ") != std::string::npos;
  std::string out = "_pickle.UnpicklingError: ";
  if (version == TorchVersion::k2_4) {
    if (unsafe_global) {
      out += "Weights only load failed. This file can still be loaded, to do so you have two "
             "options \n\t(1) " + Unsafe(version) +
             "\n\t(2) Alternatively, to load with `weights_only=True` please check the "
             "recommended steps in the following error message.\n\tWeightsUnpickler error: " +
             message;
    } else {
      out += "Weights only load failed. " + Unsafe(version) +
             "\n Please file an issue with the following so that we can make `weights_only=True` "
             "compatible with your use case: WeightsUnpickler error: " + message;
    }
    return out + kDocs;
  }
  bool blocked = message.find(" is blocked") != std::string::npos &&
                 message.find("whose module ") != std::string::npos;
  bool import_needed = message.find(" must be imported to load") != std::string::npos;
  if (unsafe_global) {
    out += "Weights only load failed. This file can still be loaded, to do so you have two options, "
           "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. \n\t(1) " +
           Unsafe(version) +
           "\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended "
           "steps in the following error message.\n\tWeightsUnpickler error: " + message;
  } else if (import_needed) {
    return out + "Weights only load failed. " + message;
  } else {
    out += "Weights only load failed. " + Unsafe(version) + "\n";
    if (!blocked) {
      out += "Please file an issue with the following so that we can make `weights_only=True` "
             "compatible with your use case: WeightsUnpickler error: ";
    }
    out += message;
  }
  return out + kDocs;
}

std::vector<int> PicklesTorchLoadReads(const Checkpoint& checkpoint) {
  std::vector<int> out;
  for (size_t i = 0; i < checkpoint.pickles.size(); ++i) {
    const PickleStream& p = checkpoint.pickles[i];
    switch (checkpoint.format) {
      case ContainerFormat::kTorchZip: {
        const std::string& r = p.record;
        bool data_pkl = r == "data.pkl" ||
                        (r.size() > 9 && r.compare(r.size() - 9, 9, "/data.pkl") == 0);
        // Only the top-level <archive>/data.pkl, not a nested one.
        if (data_pkl && std::count(r.begin(), r.end(), '/') <= 1) out.push_back(static_cast<int>(i));
        break;
      }
      case ContainerFormat::kLegacy:
      case ContainerFormat::kLegacyTar:
      case ContainerFormat::kRawPickle:
      case ContainerFormat::kUnknown:
        out.push_back(static_cast<int>(i));
        break;
      default:
        break;
    }
  }
  return out;
}

namespace {

// Without the bytes: the first failure the graph can show (a node made by an
// opcode outside the accepted set, or a global outside the allowlist),
// whichever comes first. Protocol >= 4 pickles start with FRAME.
WeightsOnlyPickleRun ApproximateFromGraph(const PickleGraph& g, TorchVersion version,
                                          const std::set<std::string>& user_allowed) {
  WeightsOnlyPickleRun run;
  run.exact = false;
  static const uint8_t kAccepted[] = {0x61, 0x65, 0x68, 0x4a, 0x4b, 0x4d, 0x51, 0x71, 0x58, 0x62,
                                      0x7d, 0x5d, 0x8f, 0x29, 0x63, 0x8a, 0x6a, 0x72, 0x28, 0x89,
                                      0x81, 0x88, 0x4e, 0x80, 0x52, 0x73, 0x75, 0x55, 0x2e, 0x74,
                                      0x85, 0x86, 0x87, 0x47};
  auto accepted = [&](uint8_t op) {
    if (op == 0x47) return version != TorchVersion::k1_13;
    return std::find(std::begin(kAccepted), std::end(kAccepted), op) != std::end(kAccepted);
  };
  auto fail = [&](uint64_t offset, uint8_t op, std::string message, std::string global = {}) {
    run.ok = false;
    run.exception = version == TorchVersion::k1_13 ? "RuntimeError" : "UnpicklingError";
    run.wrapped_by_torch = true;
    run.offset = offset;
    run.opcode = op;
    run.inner_message = std::move(message);
    run.global = std::move(global);
    return run;
  };
  if (g.protocol >= 4) return fail(g.start_offset + 2, 0x95, "Unsupported operand 149");
  uint64_t best = UINT64_MAX;
  uint8_t best_op = 0;
  for (const PickleNode& n : g.nodes) {
    if (!accepted(n.opcode) && n.offset < best) {
      best = n.offset;
      best_op = n.opcode;
    }
  }
  for (const GlobalRef& ref : g.globals) {
    if (ref.offset >= best) break;
    if (ref.opcode != 0x63) {
      if (ref.offset < best) { best = ref.offset; best_op = ref.opcode; }
      break;
    }
    QualifiedGlobal q = MapGlobal(ref.module, ref.name, version, g.protocol);
    std::string full = q.qualified();
    bool allowed = InTorchWeightsOnlyAllowlist(full, version) ||
                   (version != TorchVersion::k1_13 && user_allowed.count(full));
    if (version != TorchVersion::k1_13 && IsTorchBlockedModule(q.module)) {
      return fail(ref.offset, 0x63, "Trying to load unsupported GLOBAL " + full + " whose module " +
                                        q.module + " is blocked.", full);
    }
    if (!allowed) {
      // Let the exact walker produce the message text from a synthetic GLOBAL.
      std::string synthetic = "c" + ref.module + "\n" + ref.name + "\n";
      WeightsOnlyPickleRun one = RunWeightsOnlyUnpickler(synthetic, ref.offset, version, user_allowed);
      one.exact = false;
      return one;
    }
  }
  if (best != UINT64_MAX) return fail(best, best_op, "Unsupported operand " + std::to_string(best_op));
  if (g.error) {
    run.ok = false;
    run.exception = "UnpicklingError";
    run.wrapped_by_torch = false;
    run.inner_message = g.error->message;
    run.offset = g.error->offset < 0 ? g.end_offset : static_cast<uint64_t>(g.error->offset);
    return run;
  }
  run.ok = true;
  return run;
}

}  // namespace

WeightsOnlyPrediction SimulateWeightsOnly(const Checkpoint& checkpoint, TorchVersion version,
                                          const WeightsOnlyOptions& options) {
  WeightsOnlyPrediction out;
  out.version = version;
  out.default_weights_only = WeightsOnlyIsDefault(version);

  switch (checkpoint.format) {
    case ContainerFormat::kSafetensors:
    case ContainerFormat::kShardedIndex:
    case ContainerFormat::kDistributedCheckpoint:
    case ContainerFormat::kNotACheckpoint:
      out.applicable = false;
      out.note = std::string("torch.load does not read ") + ContainerFormatName(checkpoint.format) +
                 " files; weights_only does not apply";
      return out;
    default:
      break;
  }

  bool modern = version == TorchVersion::k2_6 || version == TorchVersion::kCurrent;
  if (checkpoint.format == ContainerFormat::kTorchScript) {
    if (modern) {
      out.message = "RuntimeError: Cannot use ``weights_only=True`` with TorchScript archives passed "
                    "to ``torch.load``. " + std::string(kUnsafe26);
      out.inner_message = out.message.substr(14);
      return out;
    }
    out.loads = true;
    out.note = "torch.load dispatches TorchScript archives to torch.jit.load and ignores "
               "weights_only: the archive's code runs; load it only with torch.jit.load from a "
               "trusted source";
    return out;
  }
  if (checkpoint.format == ContainerFormat::kLegacyTar && modern) {
    out.message = "RuntimeError: Cannot use ``weights_only=True`` with files saved in the legacy "
                  ".tar format. " + std::string(kUnsafe26);
    out.inner_message = out.message.substr(14);
    return out;
  }

  std::vector<int> order = PicklesTorchLoadReads(checkpoint);
  // The bytes the reader kept (PickleStream::bytes), or the test seam's;
  // without them the run is approximated from the graph.
  std::vector<std::optional<std::string>> owned(order.size());
  std::vector<std::optional<std::string_view>> bytes(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    const PickleStream& stream = checkpoint.pickles[order[k]];
    if (options.pickle_bytes) {
      owned[k] = options.pickle_bytes(checkpoint, stream);
      if (owned[k]) bytes[k] = *owned[k];
    } else if (!stream.bytes.empty()) {
      bytes[k] = stream.bytes;
    }
  }

  auto run_all = [&](const std::set<std::string>& allowed, int* failed_pickle) {
    for (size_t k = 0; k < order.size(); ++k) {
      const PickleStream& stream = checkpoint.pickles[order[k]];
      WeightsOnlyPickleRun run =
          bytes[k] ? RunWeightsOnlyUnpickler(*bytes[k], stream.graph.start_offset, version, allowed)
                   : ApproximateFromGraph(stream.graph, version, allowed);
      if (!run.ok) {
        *failed_pickle = order[k];
        return run;
      }
    }
    WeightsOnlyPickleRun ok;
    ok.ok = true;
    return ok;
  };

  int failed = -1;
  WeightsOnlyPickleRun first = run_all(options.user_allowed, &failed);
  for (const auto& b : bytes) out.exact = out.exact && b.has_value();
  out.exact = out.exact && first.exact;
  if (first.ok) {
    out.loads = true;
  } else {
    out.message = TorchLoadErrorMessage(first, version);
    out.inner_message = first.inner_message;
    out.pickle = checkpoint.pickles[failed].index;
    out.record = checkpoint.pickles[failed].record;
    out.offset = static_cast<int64_t>(first.offset);
  }

  // Every global torch would reject, not just the first: the user fixes them
  // all at once.
  std::map<std::pair<int, uint64_t>, const GlobalUse*> uses;
  for (const GlobalUse& use : checkpoint.globals) uses[{use.pickle, use.offset}] = &use;
  std::set<std::string> seen;
  SafetyContext context;
  context.torch_version = version;
  for (int index : order) {
    const PickleStream& stream = checkpoint.pickles[index];
    for (const GlobalRef& ref : stream.graph.globals) {
      QualifiedGlobal q = MapGlobal(ref.module, ref.name, version, stream.graph.protocol);
      std::string full = q.qualified();
      if (InTorchWeightsOnlyAllowlist(full, version)) continue;
      if (version != TorchVersion::k1_13 && options.user_allowed.count(full) &&
          !IsTorchBlockedModule(q.module)) {
        continue;
      }
      if (!seen.insert(full).second) continue;
      WeightsOnlyOffender offender;
      offender.module = q.module;
      offender.name = q.name;
      offender.qualified = full;
      offender.blocked = version != TorchVersion::k1_13 && IsTorchBlockedModule(q.module);
      offender.pickle = stream.index;
      offender.offset = ref.offset;
      auto it = uses.find({stream.index, ref.offset});
      if (it != uses.end()) offender.object_path = it->second->object_path;
      GlobalClassification c = ClassifyGlobal(ref.module, ref.name, context);
      offender.tier = c.tier;
      offender.why = c.why;
      out.offenders.push_back(std::move(offender));
    }
  }

  if (version == TorchVersion::k1_13 || out.offenders.empty()) {
    out.loads_after_allowlisting = out.loads;
    if (!out.loads) out.message_after_allowlisting = out.message;
    return out;
  }

  // The minimal add_safe_globals line: every offender that may be
  // allowlisted. Blocked modules cannot be, and dangerous globals should not
  // be; they stay out of the line (the offender list says why).
  std::set<std::string> allow = options.user_allowed;
  std::map<std::string, int> short_names;
  std::vector<const WeightsOnlyOffender*> listed;
  for (const WeightsOnlyOffender& o : out.offenders) {
    if (o.blocked || IsDangerousTier(o.tier)) continue;
    allow.insert(o.qualified);
    listed.push_back(&o);
    ++short_names[ShortName(o.name)];
  }
  std::vector<std::string> args;
  std::set<std::string> imports;
  for (const WeightsOnlyOffender* o : listed) {
    std::string head = ShortName(o->name);
    if (o->module == "builtins") {
      args.push_back(o->name);
    } else if (short_names[head] > 1) {
      imports.insert("import " + o->module);
      args.push_back(o->qualified);
    } else {
      imports.insert("from " + o->module + " import " + head);
      args.push_back(o->name);
    }
  }
  out.imports.assign(imports.begin(), imports.end());
  if (!args.empty()) {
    std::string line = "torch.serialization.add_safe_globals([";
    for (size_t i = 0; i < args.size(); ++i) line += (i ? ", " : "") + args[i];
    out.add_safe_globals = line + "])";
  }
  int failed_after = -1;
  WeightsOnlyPickleRun after = run_all(allow, &failed_after);
  out.loads_after_allowlisting = after.ok;
  if (!after.ok) out.message_after_allowlisting = TorchLoadErrorMessage(after, version);
  return out;
}

}  // namespace ptlint
