// Expression evaluation: names, attributes, strings, operators, subscripts, comprehensions.
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
    const Symbol& s = Resolve(*f.index, f.file->info.module_name, name);
    if (s.kind != Symbol::Kind::kUnresolved) return ResolveSymbol(*f.index, s, depth);
  }
  if (PythonBuiltinNames().count(name)) return MakeExternal("builtins." + name);
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
      const Symbol& s = ResolveAbsolute(*f.index, dotted);
      if (s.kind == Symbol::Kind::kClass || s.kind == Symbol::Kind::kFunction ||
          s.kind == Symbol::Kind::kAssignment) {
        return ResolveSymbol(*f.index, s, depth);
      }
      return MakeExternal(dotted);
    }
    case Value::Kind::kSuper:
      return MakeMethod(obj, attr);
    case Value::Kind::kClass: {
      // Class attribute or unbound method: `Config.n_embd` or `Base.__init__`.
      if (V a = ClassAttribute(obj->cls, attr, depth)) return a;
      return MakeMethod(obj, attr);
    }
    case Value::Kind::kObject: {
      Instance& inst = *obj->module;
      auto a = inst.attrs.find(attr);
      if (a != inst.attrs.end()) return a->second;
      if (V p = CallProperty(f, obj, attr, depth)) return p;
      if (inst.cls.cls) {
        if (V c = ClassAttribute(inst.cls, attr, depth)) return c;
        if (FindMethod(inst.cls, attr, false, nullptr).first) return MakeMethod(obj, attr);
      }
      return MakeUnknown("`" + Text(f, node) + "`: " + inst.type_name + " has no known attribute `" + attr + "`",
                         false);
    }
    case Value::Kind::kDict: {
      // A configuration given as a JSON object (a checkpoint's model_args)
      // stands for an object too: its entries read as attributes.
      static const std::set<std::string> kDictMethods = {"items", "keys", "values", "get", "pop", "update",
                                                         "copy", "setdefault", "clear", "popitem"};
      if (!kDictMethods.count(attr) && obj->entries_are_attributes) {
        for (auto& [k, v] : obj->dict) {
          if (k == attr) return v;
        }
        return MakeUnknown("`" + Text(f, node) + "`: not in the given configuration", false);
      }
      return MakeMethod(obj, attr);
    }
    case Value::Kind::kSeq:
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
  V out = MakeUnknown("attribute `" + Text(f, node) + "` not understood", obj->maybe_module);
  // A field of a constructor argument whose value is not known
  // (`config.n_embd`) is itself a symbolic argument: shapes keep it, so the
  // same field read in several layers stays one unknown (`d` and `4 * d`).
  if (obj->kind == Value::Kind::kUnknown && !obj->arg_name.empty()) out->arg_name = obj->arg_name + "." + attr;
  return out;
}

V Interpreter::EvalString(Frame& f, TSNode node, int depth) {
  if (IsType(node, "concatenated_string")) {
    std::string all;
    bool pattern = false;
    for (TSNode c : NamedChildren(node)) {
      V part = EvalString(f, c, depth);
      if (part->kind != Value::Kind::kStr) return MakeUnknown("string");
      all += part->str;
      pattern = pattern || part->str_pattern;
    }
    return MakeStr(all, pattern);
  }
  std::string plain;
  if (f.file && PlainString(f, node, &plain)) return MakeStr(plain);
  // An f-string: evaluate the interpolations; unknown parts become '*'.
  std::string out;
  bool pattern = false;
  for (TSNode c : NamedChildren(node)) {
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
    } else if ((op == "==" || op == "!=") &&
               ((a->kind == Value::Kind::kStr && b->kind == Value::Kind::kNum) ||
                (a->kind == Value::Kind::kNum && b->kind == Value::Kind::kStr))) {
      r = MakeBool(op == "!=");  // a number never equals a string (vgg's `v == "M"`)
    } else if ((op == "==" || op == "!=") && a->kind == Value::Kind::kStr && b->kind == Value::Kind::kStr) {
      if (a->str_pattern || b->str_pattern) r = MakeUnknown("comparison of an unknown string");
      else r = MakeBool((a->str == b->str) != (op == "!="));
    } else if (op == "in" || op == "not in") {
      // A set's order is not known, its members are.
      auto items = b->kind == Value::Kind::kSeq && b->unordered && !b->items_open ? std::optional(b->items) : Iterate(b);
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

// `"denselayer%d" % (i + 1)`: printf-style formatting as Python does it for
// %d/%i/%s (with a zero-padded width), %%, one value or a tuple. A value
// that is not known becomes `*` in the name (a pattern: `denselayer*`);
// anything else (`%(key)s`, `%r`, `%x`, a count that does not match) is the
// whole name unknown, as before.
V Interpreter::FormatPercent(const V& format, const V& values) {
  std::vector<V> args;
  if (values->kind == Value::Kind::kSeq && values->is_tuple) {
    if (values->items_open) return MakeStr("*", true);
    args = values->items;
  } else {
    args.push_back(values);
  }
  const std::string& f = format->str;
  std::string out;
  bool pattern = format->str_pattern;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    if (++i >= f.size()) return MakeStr("*", true);
    if (f[i] == '%') {
      out += '%';
      continue;
    }
    bool zero = false;
    size_t width = 0;
    if (f[i] == '0') {
      zero = true;
      ++i;
    }
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i])) && width < 100) {
      width = width * 10 + static_cast<size_t>(f[i] - '0');
      ++i;
    }
    if (i >= f.size() || (f[i] != 'd' && f[i] != 'i' && f[i] != 's') || next >= args.size()) {
      return MakeStr("*", true);
    }
    const V& v = args[next++];
    std::string text;
    if (v->kind == Value::Kind::kStr && f[i] == 's') {
      text = v->str;
      pattern = pattern || v->str_pattern;
    } else if (auto n = AsInt(v)) {
      text = std::to_string(*n);
    } else {
      out += '*';
      pattern = true;
      continue;
    }
    if (text.size() < width) text.insert(text.begin(), width - text.size(), zero && f[i] != 's' ? '0' : ' ');
    out += text;
  }
  if (next != args.size()) return MakeStr("*", true);
  return MakeStr(out, pattern);
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
  if (IsConcreteTensor(a) || IsConcreteTensor(b)) {
    // Small tensors whose elements are known (RegNet's width schedule).
    if (V t = ConcreteTensorBinary(op, a, b)) return t;
  }
  if (a->kind == Value::Kind::kSeq && b->kind == Value::Kind::kSeq && op == "+" && !a->unordered && !b->unordered) {
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
  if (a->kind == Value::Kind::kStr && op == "%") return FormatPercent(a, b);
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
  V out = MakeUnknown("subscript `" + Text(f, node) + "` not understood", obj->maybe_module);
  if (obj->kind == Value::Kind::kUnknown && !obj->arg_name.empty() && key->kind == Value::Kind::kStr &&
      !key->str_pattern) {
    out->arg_name = obj->arg_name + "." + key->str;  // cfg["width"] reads like cfg.width
  }
  return out;
}

V Interpreter::EvalComprehension(Frame& f, TSNode node, int depth, bool is_dict) {
  // [body for a in X if c for b in Y ...]: unroll when every iterable is known.
  std::vector<TSNode> clauses;
  for (TSNode c : NamedChildren(node)) {
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
                           std::vector<std::pair<std::string, V>>* kwargs, bool* open, size_t* first_open) {
  if (IsType(arglist, "generator_expression")) {
    args->push_back(EvalComprehension(f, arglist, depth, false));
    return;
  }
  for (TSNode a : NamedChildren(arglist)) {
    if (IsType(a, "keyword_argument")) {
      kwargs->push_back({Text(f, Field(a, "name")), Eval(f, Field(a, "value"), depth + 1)});
    } else if (IsType(a, "list_splat")) {
      V v = Eval(f, ts_node_named_child(a, 0), depth + 1);
      auto items = Iterate(v);
      if (items) {
        args->insert(args->end(), items->begin(), items->end());
      } else {
        if (!*open && first_open) *first_open = args->size();
        *open = true;
        // Keep the representative so containers can make a pattern.
        if (v->kind == Value::Kind::kSeq && !v->items.empty()) {
          for (auto& it : v->items) args->push_back(it);
        } else {
          // Elements of which nothing is known (`*backbone[pos:-1]` of a
          // module passed in): they may hold any keys, so a container built
          // from them must not claim the rest of its elements are all it holds.
          args->push_back(MakeUnknown("elements unpacked from a value not understood"));
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

V Interpreter::Eval(Frame& f, TSNode node, int depth) {
  Step();
  if (ts_node_is_null(node)) return MakeUnknown("missing expression");
  if (depth > 400) {
    ++depth_limit_hits_;
    return MakeUnknown("expression nested too deeply");
  }
  const char* type = ts_node_type(node);
  // The first byte is compared before strcmp: most of the tests below differ there.
  auto is = [type](const char* t) { return type[0] == t[0] && std::strcmp(type, t) == 0; };
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
    for (TSNode c : NamedChildren(node)) {
      if (IsType(c, "comment")) continue;
      if (IsType(c, "list_splat")) {
        V v = Eval(f, ts_node_named_child(c, 0), depth + 1);
        auto inner = Iterate(v);
        if (inner) {
          items.insert(items.end(), inner->begin(), inner->end());
        } else {
          open = true;
          // As in call arguments: the representatives of an open list, or a
          // placeholder for elements of which nothing is known.
          if (v->kind == Value::Kind::kSeq && !v->items.empty()) {
            items.insert(items.end(), v->items.begin(), v->items.end());
          } else {
            items.push_back(MakeUnknown("elements unpacked from a value not understood"));
          }
        }
        continue;
      }
      items.push_back(Eval(f, c, depth + 1));
    }
    return MakeSeq(std::move(items), !is("list"), open);
  }
  if (is("dictionary")) {
    auto d = std::make_shared<Value>();
    d->kind = Value::Kind::kDict;
    for (TSNode c : NamedChildren(node)) {
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
    // Either side may register something (a tensor, a module, None over a
    // slot): keep both, so an attribute assignment can register each one
    // under the unknown condition.
    auto registers = [](const V& v) {
      return v->kind == Value::Kind::kTensor || v->kind == Value::Kind::kModule || v->kind == Value::Kind::kNone ||
             (v->kind == Value::Kind::kUnknown && (v->maybe_module || !v->alternatives.empty()));
    };
    const bool maybe_module = a->kind == Value::Kind::kModule || b->kind == Value::Kind::kModule ||
                              a->maybe_module || b->maybe_module;
    V out = MakeUnknown(a->kind == Value::Kind::kModule || b->kind == Value::Kind::kModule
                            ? "one of two modules, depending on `" + Text(f, cond) + "`"
                            : "`" + Text(f, node) + "`: condition not known",
                        maybe_module);
    if (registers(a) && registers(b)) {
      for (const V& side : {a, b}) {
        if (side->kind == Value::Kind::kUnknown && !side->alternatives.empty()) {
          out->alternatives.insert(out->alternatives.end(), side->alternatives.begin(), side->alternatives.end());
        } else {
          out->alternatives.push_back(side);
        }
      }
    }
    return out;
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

}  // namespace ptlint::prediction
