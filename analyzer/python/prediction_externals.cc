// Calls outside the project: torch.nn layers and containers, tensor factories, Python builtins.
#include "analyzer/python/prediction_interpreter.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "analyzer/python/torch_api_tables.h"

namespace ptlint::prediction {
namespace {

// Converting a double outside int64's range (or NaN) to int64_t is undefined
// behaviour; scanned source may hold any literal (`math.ceil(1e300)`).
bool FitsInt64(double d) { return std::isfinite(d) && d >= -9.2e18 && d <= 9.2e18; }

}  // namespace

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
  if (TorchParameterConstructors().count(name)) {
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
  if (name.rfind("torch.", 0) == 0 && name.find('.', 6) == std::string::npos && TorchTensorFactories().count(last)) {
    auto shape_from = [&](const std::vector<V>& dims_args) -> V {
      std::vector<SymExprPtr> dims;
      for (auto& d : dims_args) {
        if (d->kind == Value::Kind::kNum || !d->arg_name.empty()) dims.push_back(AsExpr(d, "?"));
        else if (d->kind == Value::Kind::kUnknown) dims.push_back(SymExpr::Unknown(d->reason));
        else return MakeTensor(false, {});
      }
      return MakeTensor(true, std::move(dims));
    };
    if (TorchShapeFactories().count(last)) {
      if (args.size() == 1 && args[0]->kind == Value::Kind::kSeq) {
        if (args[0]->items_open) return MakeTensor(false, {});
        if ((last == "Tensor" || last.size() > 6) && !args[0]->is_tuple) return MakeTensor(false, {});  // Tensor([1,2]) is data
        return shape_from(args[0]->items);
      }
      if (args.empty()) {
        if (V size = kw("size")) return shape_from(size->kind == Value::Kind::kSeq ? size->items : std::vector<V>{size});
        return MakeTensor(true, {SymExpr::Int(0)});
      }
      // One argument that is not understood may be a whole shape (a tuple):
      // the rank is not known.
      if (args.size() == 1 && args[0]->kind == Value::Kind::kUnknown && args[0]->arg_name.empty()) {
        return MakeTensor(false, {});
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
    if (last == "arange" || last == "tensor") {
      // Small tensors whose elements are known: torch.arange(depth), torch.tensor([...]).
      if (V t = ConcreteTensorCall(last, args, kwargs, options_.max_unroll)) return t;
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
  if (name == "typing.cast" && args.size() == 2) return args[1];
  if (name == "functools.partial" && !args.empty()) {
    // partial(nn.LayerNorm, eps=1e-6): called later with the rest.
    auto p = std::make_shared<Value>();
    p->kind = Value::Kind::kPartial;
    p->target = args[0];
    p->items.assign(args.begin() + 1, args.end());
    p->dict = kwargs;
    return p;
  }
  if (name == "dataclasses.field") {
    // field(default=...) / field(default_factory=...): the field's default.
    if (V d = kw("default")) return d;
    if (V factory = kw("default_factory")) return CallValue(f, factory, {}, {}, where, depth + 1);
    return MakeUnknown("dataclass field without a default", true);
  }
  if (name == "types.SimpleNamespace" || name == "argparse.Namespace") {
    V obj = MakeObject(name, {});
    for (auto& [k, v] : kwargs) obj->module->attrs[k] = v;
    return obj;
  }
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
      if (args[0]->kind == Value::Kind::kDict && !args[0]->dict_open && !args[0]->dict_keys_uncertain) return MakeInt(static_cast<int64_t>(args[0]->dict.size()));
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
        if (!FitsInt64(fl)) return MakeNum(SymExpr::Unknown("round(...)"));
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
    if (b == "set" && args.size() <= 1 && kwargs.empty()) {
      // set(widths): members known when every element is a known number or
      // string; the order is CPython's hash order, so it stays unknown.
      auto unknown_set = [] {
        V s = MakeSeq({}, false, true);
        s->unordered = true;
        return s;
      };
      std::vector<V> members;
      if (!args.empty()) {
        auto items = args[0]->kind == Value::Kind::kSeq && args[0]->unordered && !args[0]->items_open
                         ? std::optional(args[0]->items)
                         : Iterate(args[0]);
        if (!items) return unknown_set();
        for (const V& it : *items) {
          std::optional<PyNumber> n = it->kind == Value::Kind::kNum ? it->num->Evaluate() : std::nullopt;
          const bool plain_str = it->kind == Value::Kind::kStr && !it->str_pattern;
          if (!n && !plain_str) return unknown_set();
          bool seen = false;
          for (const V& m : members) {
            if (plain_str) seen = seen || (m->kind == Value::Kind::kStr && m->str == it->str);
            else seen = seen || (m->kind == Value::Kind::kNum && m->num->Evaluate()->AsDouble() == n->AsDouble());
          }
          if (!seen) members.push_back(it);
        }
      }
      V s = MakeSeq(std::move(members), false);
      s->unordered = true;
      return s;
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
      // A plain object may subclass a builtin (IntEnum): never decided.
      const bool opaque = obj->kind == Value::Kind::kUnknown || obj->kind == Value::Kind::kObject;
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
          } else if (!opaque) {
            match = false;
          }
        } else if (tn == "builtins.float") {
          if (obj->kind == Value::Kind::kNum) {
            auto n = obj->num->Evaluate();
            if (n) match = n->kind == PyNumber::Kind::kFloat;
          } else if (!opaque) {
            match = false;
          }
        } else if (tn == "builtins.tuple" || tn == "builtins.list") {
          if (obj->kind == Value::Kind::kSeq) match = obj->is_tuple == (tn == "builtins.tuple");
          else if (!opaque) match = false;
        } else if (tn == "builtins.str") {
          if (obj->kind == Value::Kind::kStr) match = true;
          else if (!opaque) match = false;
        } else if (tn == "builtins.bool") {
          if (obj->kind == Value::Kind::kNum) {
            auto n = obj->num->Evaluate();
            if (n) match = n->kind == PyNumber::Kind::kBool;
          } else if (!opaque) {
            match = false;
          }
        }
        if (!match) { result = std::nullopt; continue; }
        if (*match) return MakeBool(true);
      }
      if (result) return MakeBool(false);
      return MakeUnknown("isinstance on an unknown value");
    }
    if (b == "setattr" && args.size() >= 3 && args[0]->kind == Value::Kind::kObject && args[0]->module) {
      auto& attrs = args[0]->module->attrs;
      if (args[1]->kind == Value::Kind::kStr && !args[1]->str_pattern && optional_depth_ == 0 && pattern_depth_ == 0) {
        attrs[args[1]->str] = args[2];
      } else {
        // A name or a path not known: no attribute of the object is certain.
        for (auto& [k, v] : attrs) v = MakeUnknown("`" + k + "` may be overwritten by setattr()", true);
        args[0]->module->opens.push_back({"", "setattr() with a name that is not known", Loc(f, where)});
      }
      return MakeNone();
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
      if (args[0]->kind == Value::Kind::kObject && args[1]->kind == Value::Kind::kStr && !args[1]->str_pattern &&
          args[0]->module->opens.empty()) {
        auto a = args[0]->module->attrs.find(args[1]->str);
        if (a != args[0]->module->attrs.end()) return a->second;
        if (args.size() >= 3 && !args[0]->module->cls.cls) return args[2];  // SimpleNamespace: the default
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
  for (const std::string& prefix : NonModuleCallPrefixes()) {
    if (name.rfind(prefix, 0) == 0) {
      if (name.rfind("math.", 0) == 0) {
        if (MathFunctions().count(last) && args.size() >= 1 && args[0]->kind == Value::Kind::kNum) {
          auto x = args[0]->num->Evaluate();
          if (x && last == "ceil" && FitsInt64(std::ceil(x->AsDouble()))) return MakeInt(static_cast<int64_t>(std::ceil(x->AsDouble())));
          if (x && last == "floor" && FitsInt64(std::floor(x->AsDouble()))) return MakeInt(static_cast<int64_t>(std::floor(x->AsDouble())));
          if (x && last == "sqrt") return MakeNum(SymExpr::Const(PyNumber::Float(std::sqrt(x->AsDouble()))));
          if (x && (last == "log" || last == "log2") && x->AsDouble() > 0) {
            // CPython: math.log(x, base) is log(x) / log(base), in double.
            double r = last == "log2" ? std::log2(x->AsDouble()) : std::log(x->AsDouble());
            if (last == "log" && args.size() == 2) {
              auto base = args[1]->kind == Value::Kind::kNum ? args[1]->num->Evaluate() : std::nullopt;
              if (!base || base->AsDouble() <= 0 || base->AsDouble() == 1) return MakeNum(SymExpr::Unknown(name + "(...)"));
              r /= std::log(base->AsDouble());
            }
            if (args.size() == 1 || last == "log") return MakeNum(SymExpr::Const(PyNumber::Float(r)));
          }
        }
        return MakeNum(SymExpr::Unknown(name + "(...)"));
      }
      // torch.log(t), torch.diff(t), ...: computed when the tensors' elements are known.
      if (name.rfind("torch.", 0) == 0 && name.find('.', 6) == std::string::npos &&
          TorchConcreteFunctions().count(last)) {
        if (V t = ConcreteTensorCall(last, args, kwargs, options_.max_unroll)) return t;
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

}  // namespace ptlint::prediction
