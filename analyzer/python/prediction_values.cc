// Abstract values: deep copies, JSON arguments, truthiness, numbers, iteration.
#include "analyzer/python/prediction_interpreter.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {

V MakeObject(std::string type_name, ClassRef cls) {
  auto inst = std::make_shared<Instance>();
  inst->type_name = std::move(type_name);
  inst->cls = cls;
  auto v = std::make_shared<Value>();
  v->kind = Value::Kind::kObject;
  v->module = std::move(inst);
  v->cls = cls;
  return v;
}

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

namespace {

// The maps keep what is shared shared (and end cycles): an object reached
// twice is copied once. An object with a single owner in the source graph
// can be reached only through that owner, once, so it is copied without an
// entry (most of a construction's values and layers; the entries were most
// of the copy's cost). A member is read from the fresh shallow copy of its
// parent, which is its second owner: two owners then mean one in the
// source. A cycle always gives its objects another owner.
struct Isolator {
  std::unordered_map<const Instance*, std::shared_ptr<Instance>> instances;
  std::unordered_map<const Value*, V> values;
  static constexpr long kMember = 2;  // the source's owner and the copy's

  // The shallow copy to fill in, or null with *copied set when `src` has
  // been copied already.
  template <class T>
  static std::shared_ptr<T> Fresh(const std::shared_ptr<T>& src, long single,
                                  std::unordered_map<const T*, std::shared_ptr<T>>& copies,
                                  std::shared_ptr<T>* copied) {
    if (src.use_count() <= single) return std::make_shared<T>(*src);
    auto [it, added] = copies.try_emplace(src.get());
    if (!added) {
      *copied = it->second;
      return nullptr;
    }
    it->second = std::make_shared<T>(*src);
    return it->second;
  }

  std::shared_ptr<Instance> Copy(const std::shared_ptr<Instance>& src, long single = kMember) {
    if (!src) return src;
    std::shared_ptr<Instance> copied;
    std::shared_ptr<Instance> out = Fresh(src, single, instances, &copied);
    if (!out) return copied;
    for (auto* list : {&out->params, &out->buffers, &out->children}) {
      for (Slot& slot : *list) {
        for (V& value : slot.values) value = Copy(value);
      }
    }
    for (auto& [name, value] : out->attrs) value = Copy(value);
    return out;
  }

  // Numbers, strings, None, classes, functions and external names are never
  // changed once made (every edit the interpreter makes builds a new value
  // or edits a list, dict, tensor or module): the copy shares them. Most of
  // a catalogue layer's attributes are such values, and copying them was
  // most of a memo hit's cost.
  static bool Immutable(const Value& v) {
    switch (v.kind) {
      case Value::Kind::kNone:
      case Value::Kind::kNum:
      case Value::Kind::kStr:
      case Value::Kind::kClass:
      case Value::Kind::kFunction:
      case Value::Kind::kExternal:
        return !v.target && !v.module && v.items.empty() && v.dict.empty() &&
               v.alternatives.empty() && !v.closure_env;
      default: return false;
    }
  }

  V Copy(const V& v) {
    if (!v || Immutable(*v)) return v;
    V copied;
    V out = Fresh(v, kMember, values, &copied);
    if (!out) return copied;
    for (V& item : out->items) item = Copy(item);
    for (auto& [key, value] : out->dict) value = Copy(value);
    for (V& alternative : out->alternatives) alternative = Copy(alternative);
    out->module = Copy(out->module);
    out->target = Copy(out->target);
    if (out->closure_env) {
      auto env = std::make_shared<std::map<std::string, V>>(*out->closure_env);
      for (auto& [name, value] : *env) value = Copy(value);
      out->closure_env = std::move(env);
    }
    return out;
  }
};

}  // namespace

std::shared_ptr<Instance> IsolatedCopy(const std::shared_ptr<Instance>& src) {
  Isolator isolator;
  return isolator.Copy(src, /*single=*/1);  // the root has no copied parent
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
    d->entries_are_attributes = true;
    return d;
  }
  return MakeUnknown("argument");
}

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
      if (v->dict_open || v->dict_keys_uncertain) return std::nullopt;
      return !v->dict.empty();
    case Value::Kind::kModule:
    case Value::Kind::kClass:
    case Value::Kind::kFunction:
    case Value::Kind::kObject:
    case Value::Kind::kPartial:
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
  if (v->kind == Value::Kind::kSeq && !v->items_open && !v->unordered) return v->items;
  if (v->kind == Value::Kind::kDict && !v->dict_open && !v->dict_keys_uncertain) {
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

// ---------------------------------------------------------------------------
// Concrete tensors: small 1-D tensors whose elements are known, computed as
// torch computes them on the CPU. Integer elements are exact (kept below
// 2^53); float32 elements are computed in single precision (C++ float), each
// operand cast to float32 first, as torch casts a Python scalar to the
// tensor's dtype. Anything else returns nullptr: the caller's value stays
// unknown rather than guessed, since a wrong width would be a false error.

namespace {

constexpr double kExactIntLimit = 9007199254740992.0;  // 2^53

TensorDType DTypeFromName(const std::string& name) {
  if (name == "float32") return TensorDType::kFloat32;
  if (name == "int64") return TensorDType::kInt64;
  if (name == "int32") return TensorDType::kInt32;
  return TensorDType::kNone;
}

bool IsIntegral(TensorDType d) { return d == TensorDType::kInt64 || d == TensorDType::kInt32; }

// One operand of an elementwise operation: a concrete tensor or a Python number.
struct Operand {
  bool tensor = false;
  TensorDType dtype = TensorDType::kNone;  // tensor
  bool is_float = false;                   // Python number
  double scalar = 0;                       // Python number
  const std::vector<double>* elements = nullptr;
  bool inexact = false;
  size_t size() const { return tensor ? elements->size() : 1; }
  double at(size_t i) const { return tensor ? (*elements)[elements->size() == 1 ? 0 : i] : scalar; }
};

std::optional<Operand> AsOperand(const V& v) {
  Operand o;
  if (IsConcreteTensor(v)) {
    o.tensor = true;
    o.dtype = v->dtype;
    o.elements = &v->elements;
    o.inexact = v->elements_inexact;
    return o;
  }
  if (!v || v->kind != Value::Kind::kNum) return std::nullopt;
  auto n = v->num->Evaluate();
  if (!n) return std::nullopt;
  o.is_float = n->kind == PyNumber::Kind::kFloat;
  o.scalar = n->AsDouble();
  if (!std::isfinite(o.scalar) || (!o.is_float && std::fabs(o.scalar) >= kExactIntLimit)) return std::nullopt;
  return o;
}

// torch's type promotion for the dtypes evaluated here: a float anywhere
// makes float32 (Python floats do not make float64: they are "wrapped
// numbers"); otherwise int64 unless both tensors are int32.
TensorDType Promote(const Operand& a, const Operand& b) {
  auto is_float = [](const Operand& o) { return o.tensor ? o.dtype == TensorDType::kFloat32 : o.is_float; };
  if (is_float(a) || is_float(b)) return TensorDType::kFloat32;
  if (a.tensor && b.tensor) {
    return a.dtype == TensorDType::kInt32 && b.dtype == TensorDType::kInt32 ? TensorDType::kInt32
                                                                            : TensorDType::kInt64;
  }
  return a.tensor ? a.dtype : b.dtype;
}

// An integer result torch would hold exactly: int32 results outside int32
// would wrap in torch, int64 ones beyond 2^53 are not kept exactly here.
bool FitsIntDType(double x, TensorDType d) {
  if (d == TensorDType::kInt32) return x >= INT32_MIN && x <= INT32_MAX;
  return std::fabs(x) < kExactIntLimit;
}

// How close to a rounding boundary an element that passed through log/pow
// may sit before its rounding is left undecided: torch's vectorised kernels
// (Sleef, 1 ULP) and libm may differ by an ULP or two, and the following
// arithmetic by a few more.
bool NearBoundary(float x, float boundary) {
  return std::fabs(x - boundary) <= 32.0f * FLT_EPSILON * std::max(1.0f, std::fabs(x));
}

V Elementwise(const Operand& a, const Operand& b, TensorDType dtype, bool inexact,
              const std::function<std::optional<double>(double, double)>& op) {
  size_t n = std::max(a.size(), b.size());
  if ((a.size() != n && a.size() != 1) || (b.size() != n && b.size() != 1)) return nullptr;
  // A tensor of one element broadcasts; of none, the result is empty.
  if ((a.tensor && a.size() == 0) || (b.tensor && b.size() == 0)) n = 0;
  std::vector<double> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto r = op(a.at(i), b.at(i));
    if (!r || !std::isfinite(*r)) return nullptr;
    if (IsIntegral(dtype) && !FitsIntDType(*r, dtype)) return nullptr;
    out.push_back(*r);
  }
  return MakeConcreteTensor(dtype, std::move(out), inexact);
}

V Arithmetic(const std::string& op, const Operand& a, const Operand& b) {
  TensorDType dtype = Promote(a, b);
  if (op == "/") dtype = TensorDType::kFloat32;  // true division
  const bool inexact = a.inexact || b.inexact;
  if (dtype == TensorDType::kFloat32) {
    return Elementwise(a, b, dtype, inexact, [&op](double x, double y) -> std::optional<double> {
      const float fx = static_cast<float>(x), fy = static_cast<float>(y);
      if (op == "+") return static_cast<float>(fx + fy);
      if (op == "-") return static_cast<float>(fx - fy);
      if (op == "*") return static_cast<float>(fx * fy);
      if (op == "/") return static_cast<float>(fx / fy);
      return std::nullopt;
    });
  }
  // Integers below 2^53 in doubles: + - * are exact while the result stays
  // below 2^53 too (checked by Elementwise).
  return Elementwise(a, b, dtype, inexact, [&op](double x, double y) -> std::optional<double> {
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") {
      const double r = x * y;
      return std::fabs(r) < kExactIntLimit ? std::optional<double>(r) : std::nullopt;
    }
    return std::nullopt;
  });
}

std::optional<TensorDType> DTypeKeyword(const std::vector<std::pair<std::string, V>>& kwargs, bool* ok) {
  *ok = true;
  std::optional<TensorDType> out;
  for (const auto& [k, v] : kwargs) {
    if (k != "dtype" || v->kind != Value::Kind::kExternal) {
      *ok = false;
      continue;
    }
    auto it = TorchDTypeNames().find(v->str);
    if (it == TorchDTypeNames().end()) *ok = false;
    else out = DTypeFromName(it->second);
  }
  return out;
}

// Casts elements to `dtype` as Tensor.to does: float to int truncates
// toward zero.
V Cast(const V& t, TensorDType dtype) {
  std::vector<double> out;
  out.reserve(t->elements.size());
  for (double x : t->elements) {
    if (dtype == TensorDType::kFloat32) {
      out.push_back(static_cast<float>(x));
      continue;
    }
    if (t->dtype == TensorDType::kFloat32) {
      // 2.9999998 from an inexact log/pow chain may be 3.0 in torch.
      if (t->elements_inexact && NearBoundary(static_cast<float>(x), std::nearbyint(static_cast<float>(x)))) {
        return nullptr;
      }
      x = std::trunc(x);
    }
    if (!FitsIntDType(x, dtype)) return nullptr;
    out.push_back(x);
  }
  const bool inexact = t->elements_inexact && dtype == TensorDType::kFloat32;
  return MakeConcreteTensor(dtype, std::move(out), inexact);
}

}  // namespace

V MakeConcreteTensor(TensorDType dtype, std::vector<double> elements, bool inexact) {
  V t = MakeTensor(true, {SymExpr::Int(static_cast<int64_t>(elements.size()))});
  t->dtype = dtype;
  t->elements = std::move(elements);
  t->elements_inexact = inexact && dtype == TensorDType::kFloat32;
  return t;
}

V ConcreteTensorBinary(const std::string& op, const V& a, const V& b) {
  if (!IsConcreteTensor(a) && !IsConcreteTensor(b)) return nullptr;
  if (op != "+" && op != "-" && op != "*" && op != "/") return nullptr;
  auto x = AsOperand(a), y = AsOperand(b);
  if (!x || !y) return nullptr;
  return Arithmetic(op, *x, *y);
}

V ConcreteTensorCall(const std::string& name, const std::vector<V>& args,
                     const std::vector<std::pair<std::string, V>>& kwargs, int64_t max_elements) {
  if (!TorchConcreteFunctions().count(name) && name != "arange" && name != "tensor") return nullptr;
  if (name == "arange") {
    // torch.arange(end), (start, end), (start, end, step) with integers;
    // float bounds (computed in double, then rounded) are not evaluated.
    bool ok = true;
    std::optional<TensorDType> dtype = DTypeKeyword(kwargs, &ok);
    if (!ok || args.empty() || args.size() > 3) return nullptr;
    int64_t bounds[3] = {0, 0, 1};
    for (size_t i = 0; i < args.size(); ++i) {
      auto o = AsOperand(args[i]);
      if (!o || o->tensor || o->is_float) return nullptr;
      bounds[args.size() == 1 ? 1 : i] = static_cast<int64_t>(o->scalar);
    }
    const int64_t start = bounds[0], end = bounds[1], step = bounds[2];
    if (step == 0 || (step > 0 && end < start) || (step < 0 && end > start)) return nullptr;  // torch raises
    const int64_t count = step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step;
    if (count > max_elements) return nullptr;
    const TensorDType d = dtype.value_or(TensorDType::kInt64);
    std::vector<double> out;
    for (int64_t i = 0; i < count; ++i) {
      const double x = static_cast<double>(start + i * step);
      if (d == TensorDType::kFloat32 && std::fabs(x) > 16777216.0) return nullptr;  // not exact in float32
      if (IsIntegral(d) && !FitsIntDType(x, d)) return nullptr;
      out.push_back(x);
    }
    return MakeConcreteTensor(d, std::move(out));
  }
  if (name == "tensor") {
    // torch.tensor([1, 2, 3]): int64, or float32 when any element is a float.
    bool ok = true;
    std::optional<TensorDType> dtype = DTypeKeyword(kwargs, &ok);
    if (!ok || args.size() != 1 || args[0]->kind != Value::Kind::kSeq || args[0]->items_open || args[0]->unordered) {
      return nullptr;
    }
    if (static_cast<int64_t>(args[0]->items.size()) > max_elements) return nullptr;
    bool any_float = false, all_bool = !args[0]->items.empty();
    std::vector<double> out;
    for (const V& item : args[0]->items) {
      auto o = AsOperand(item);
      if (!o || o->tensor) return nullptr;
      auto n = item->num->Evaluate();
      all_bool = all_bool && n->kind == PyNumber::Kind::kBool;
      any_float = any_float || o->is_float;
      out.push_back(o->scalar);
    }
    if (all_bool) return nullptr;  // a bool tensor
    const TensorDType inferred = any_float || out.empty() ? TensorDType::kFloat32 : TensorDType::kInt64;
    const TensorDType d = dtype.value_or(inferred);
    if (any_float && IsIntegral(d)) return nullptr;
    V t = MakeConcreteTensor(inferred, std::move(out));
    if (inferred == TensorDType::kFloat32) {
      for (double& x : t->elements) x = static_cast<float>(x);
    }
    return d == inferred ? t : Cast(t, d);
  }
  if (name == "divide" || name == "div" || name == "true_divide" || name == "add" || name == "sub" ||
      name == "subtract" || name == "mul" || name == "multiply") {
    // No rounding_mode, no alpha: exactly the operator.
    if (args.size() != 2 || !kwargs.empty()) return nullptr;
    const std::string op = name == "add" ? "+" : (name == "sub" || name == "subtract") ? "-"
                         : (name == "mul" || name == "multiply") ? "*" : "/";
    return ConcreteTensorBinary(op, args[0], args[1]);
  }
  if (!kwargs.empty()) return nullptr;
  if (name == "log" || name == "round") {
    if (args.size() != 1 || !IsConcreteTensor(args[0])) return nullptr;
    const V& t = args[0];
    if (name == "round" && IsIntegral(t->dtype)) return MakeConcreteTensor(t->dtype, t->elements);  // the identity
    std::vector<double> out;
    for (double x : t->elements) {
      const float f = static_cast<float>(x);
      if (name == "log") {
        const float r = std::log(f);
        if (!std::isfinite(r)) return nullptr;
        out.push_back(r);
        continue;
      }
      // torch.round rounds half to even, like nearbyint in the default mode.
      const float fl = std::floor(f);
      if (t->elements_inexact && NearBoundary(f, fl + 0.5f)) return nullptr;
      out.push_back(std::nearbyint(f));
    }
    // The rounded elements are the integers torch has too: exact again.
    return MakeConcreteTensor(TensorDType::kFloat32, std::move(out), name == "log");
  }
  if (name == "pow") {
    // Float results only (an integer power of integers is not evaluated).
    if (args.size() != 2) return nullptr;
    auto a = AsOperand(args[0]), b = AsOperand(args[1]);
    if (!a || !b || (!a->tensor && !b->tensor) || Promote(*a, *b) != TensorDType::kFloat32) return nullptr;
    // A power whose exact value is a float (2.25 ** 1.0 in regnet_x_1_6gf's
    // schedule, 22.5 after * 80 / 8: on round()'s boundary) is that float in
    // any pow within an ULP of the truth, Sleef's and libm's alike: the
    // result stays exact. Any other element makes the tensor inexact.
    bool inexact = a->inexact || b->inexact;
    V out = Elementwise(*a, *b, TensorDType::kFloat32, false, [&inexact](double x, double y) -> std::optional<double> {
      const float fx = static_cast<float>(x), fy = static_cast<float>(y);
      const float r = std::pow(fx, fy);
      const bool small_integer_power = fy == std::trunc(fy) && std::fabs(fy) <= 16;
      const double exact = small_integer_power ? std::pow(static_cast<double>(fx), static_cast<double>(fy)) : NAN;
      if (!small_integer_power || static_cast<double>(r) != exact) inexact = true;
      return r;
    });
    if (out) out->elements_inexact = inexact;
    return out;
  }
  if (name == "diff") {
    if (args.size() != 1 || !IsConcreteTensor(args[0])) return nullptr;
    const V& t = args[0];
    std::vector<double> out;
    for (size_t i = 1; i < t->elements.size(); ++i) {
      const double r = t->dtype == TensorDType::kFloat32
                           ? static_cast<float>(static_cast<float>(t->elements[i]) - static_cast<float>(t->elements[i - 1]))
                           : t->elements[i] - t->elements[i - 1];
      if (IsIntegral(t->dtype) && !FitsIntDType(r, t->dtype)) return nullptr;
      out.push_back(r);
    }
    return MakeConcreteTensor(t->dtype, std::move(out), t->elements_inexact);
  }
  return nullptr;
}

V ConcreteTensorMethod(const V& tensor, const std::string& name, const std::vector<V>& args,
                       const std::vector<std::pair<std::string, V>>& kwargs) {
  if (!IsConcreteTensor(tensor) || !args.empty() || !kwargs.empty()) return nullptr;
  if (name == "tolist") {
    std::vector<V> items;
    for (double x : tensor->elements) {
      if (tensor->dtype == TensorDType::kFloat32) items.push_back(MakeNum(SymExpr::Const(PyNumber::Float(x))));
      else items.push_back(MakeInt(static_cast<int64_t>(x)));
    }
    return MakeSeq(std::move(items), false);
  }
  auto cast = TensorCastMethods().find(name);
  if (cast == TensorCastMethods().end()) return nullptr;
  return Cast(tensor, DTypeFromName(cast->second));
}

}  // namespace ptlint::prediction
